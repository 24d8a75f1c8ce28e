"""Helpers shared by every concept."""
