"""Storage targets: one small interface, one module per backend."""
