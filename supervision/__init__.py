"""督办, 传阅, 职位代理 and notifications.

Modules: calendar (working days: weekends, holidays, 调休), proxy (职位代理 windows and who may act for
whom), notify (in-app notifications and their e-mail outbox), mail (SMTP, the only module that speaks
it), circulation (传阅 receipts), deadlines (default deadlines, overdue lists, 催办 and escalation),
figures (办结率 and handling times per department), jobs (the worker's daily digest and proxy summaries).
"""
