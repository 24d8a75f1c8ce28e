"""Org-wide switches: named on/off settings that any capability declares and reads."""
