"""Wires scoring into a container: bus handlers (`subscribe`), defaults (`seed`)."""
