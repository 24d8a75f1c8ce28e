"""Plain utilities every layer may use (clock, bounds, normalisation, countries, JSON
types, sealed secrets, bulk helpers, CLI output); they import nothing of leadflow."""
