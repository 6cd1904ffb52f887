"""Built-in checks, one module per rule family, installed as `dslint.checks` and registered through entry points
(pyproject.toml, group "dslint.checks") exactly like third-party plugins. The engine never imports them by name."""
