"""Tables of the views capability."""
