"""Tables of the scoring capability."""
