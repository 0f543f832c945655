"""The status page, metrics and health endpoints."""
