"""督办: the supervision of documents' deadlines (not the 督查督办事项 of `inspection`).

Modules: deadlines (overdue and due-soon lists, 催办 and its escalation), figures (办结率 and handling
times per department), tasks (what a proxy handles, end-of-window summaries), jobs (the worker's daily
digest, proxy summaries and mail), demo (a half year of routed 签报 for the demo), errors.
The working-day calendar is core/calendar.py, 职位代理 documents/proxy.py, 传阅 circulation/,
notifications and mail notifications/.
"""
