"""Tables of the process capability."""
