"""syncd: mirror, syndicate and back up a network of government web sites."""

__version__ = "0.1.0"
