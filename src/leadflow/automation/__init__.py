"""Automation (C8): "when EVENT [and CONDITION] then ACTIONS" rules stored as data."""
