"""Saved views of leads and contacts: the lists people keep, and the shipped ones."""
