"""Document routing and approval (发文, 收文, 签报): states, routes, the 文号 ledger, freezing and filing.

Modules: states (the one state/transition table), routes (templates as data, who holds a step),
ledger (文号 and 件号 counters), storage (file versions, previews), freeze (签发 fingerprint),
services (every action), filing (档号, 处理单, archive folder), exports (CSV / XLSX).
"""
