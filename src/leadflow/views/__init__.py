"""Saved views of leads and contacts, and dashboards."""
