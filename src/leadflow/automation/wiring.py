"""Wires automation into a container: bus handlers (`subscribe`), defaults (`seed`)."""
