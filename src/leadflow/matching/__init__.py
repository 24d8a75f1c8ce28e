"""Matching (C2): strategies and the database-enforced match keys that make capture race-free."""
