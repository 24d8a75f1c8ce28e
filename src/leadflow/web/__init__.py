"""HTTP: the app factory, error mapping, authentication, API routers and pages."""
