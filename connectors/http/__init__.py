"""The one HTTP helper every connector uses (aiohttp underneath)."""

from connectors.http.client import HttpClient, Response
from connectors.http.guard import NO_TRUST, Trust
from connectors.http.policy import HttpPolicy
from connectors.http.validators import MemoryValidatorStore, Validators, ValidatorStore

__all__ = [
    "NO_TRUST",
    "HttpClient",
    "HttpPolicy",
    "MemoryValidatorStore",
    "Response",
    "Trust",
    "ValidatorStore",
    "Validators",
]
