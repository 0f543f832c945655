"""The one HTTP helper every connector uses (aiohttp underneath)."""

from connectors.http.client import HttpClient, Response
from connectors.http.policy import HttpPolicy
from connectors.http.validators import MemoryValidatorStore, Validators, ValidatorStore

__all__ = [
    "HttpClient",
    "HttpPolicy",
    "MemoryValidatorStore",
    "Response",
    "ValidatorStore",
    "Validators",
]
