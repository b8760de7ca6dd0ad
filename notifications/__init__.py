"""通知 (notifications): in-app notices and their mail digest (the only SMTP module)."""
