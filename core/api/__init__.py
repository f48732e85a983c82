"""What every API module shares: errors, OPTIONS, the router and the OpenAPI schema class."""
