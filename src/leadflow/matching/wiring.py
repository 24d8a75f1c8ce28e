"""Wires matching into a container: bus handlers (`subscribe`), defaults (`seed`)."""
