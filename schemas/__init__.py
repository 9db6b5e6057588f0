"""Package data: see migrate.resources."""
