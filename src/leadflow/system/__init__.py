"""Process-level tasks: health checks and the outbox relay."""
