"""Configuration: one TOML file, validated into typed data on load."""

from syncd.config.load import load_config, parse_config
from syncd.config.model import Config

__all__ = ["Config", "load_config", "parse_config"]
