"""Segments: live audiences of contacts from their fields, related records and behaviour,
kept current from the events, with history and reasons (capability C6)."""
