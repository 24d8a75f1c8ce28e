"""Storage: declarative base, engine, unit of work, migrations."""
