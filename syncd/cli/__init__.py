"""The `syncd` command line."""
