"""Tables of the matching capability."""
