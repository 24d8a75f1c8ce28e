"""Tables of the sales capability."""
