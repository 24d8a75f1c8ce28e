"""Server-rendered pages: thin views over the services."""
