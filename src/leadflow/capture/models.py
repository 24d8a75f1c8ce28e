"""Tables of the capture capability."""
