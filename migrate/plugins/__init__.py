"""Built-in plugins. Each registers through the ``gateway_migrate.plugins`` entry
point like a third-party one; the core never imports them by name."""
