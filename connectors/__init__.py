"""Connectors: the only code that speaks a remote site's protocol. Never imports syncd."""
