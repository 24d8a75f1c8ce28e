"""Org-wide switches (on/off) and settings (checked values) that capabilities declare and read."""
