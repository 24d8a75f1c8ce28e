"""Wires sales into a container: bus handlers (`subscribe`), defaults (`seed`)."""
