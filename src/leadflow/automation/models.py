"""Tables of the automation capability."""
