"""The 公文: routing and approval of 发文, 收文 and 签报, and the document itself.

Modules: states (the one state/transition table), routes (templates as data, who holds a step), engine
(the step engine: every action on an assignment), drafting (拟稿: fields, files, plan, submit),
visibility (who may see a document), lists (待办, 已办, 我发起的, 收件), common (what they share),
history (办理记录, 正文 versions), standing (authority at the moment of acting), hooks (what routing
tells notifications, proxies and 传阅), proxy (职位代理), due (default 办理期限), ledger (文号 and 件号),
freeze (签发 fingerprint), filing (归档: 档号, 稿纸/处理笺, the archive folder), exports (registers as
CSV / XLSX), redhead + redhead_templates + formal (套红 per GB/T 9704), format_check, intake (识别来文),
diffs (正文 changes), errors. File versions are core/storage.py.
"""
