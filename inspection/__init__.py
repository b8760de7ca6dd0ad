"""督查督办事项 (issue 14 §3): items registered on their own, their 进展反馈, 催办, 办结 and 通报."""
