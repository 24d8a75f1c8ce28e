"""Emails: templates, rendering, delivery over SMTP, tracking, unsubscribe, the mail catcher."""
