"""Wires capture into a container: bus handlers (`subscribe`), defaults (`seed`)."""
