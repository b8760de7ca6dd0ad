"""通知公告 and 公示 (issue 14 §1): the bureau's notices to every desk, with receipts and objections."""
