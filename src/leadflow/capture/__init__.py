"""Capture (C1-C3): marketing forms, landing pages, submissions and events."""
