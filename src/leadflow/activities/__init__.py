"""Activities: calls logged and notes written on contacts and leads by the people who work them."""
