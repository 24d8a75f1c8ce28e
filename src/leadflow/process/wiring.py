"""Wires process into a container: bus handlers (`subscribe`), defaults (`seed`)."""
