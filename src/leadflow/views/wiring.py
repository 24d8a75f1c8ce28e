"""Wires views into a container: bus handlers (`subscribe`), defaults (`seed`)."""
