"""The connector protocol and the registry of connector kinds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from connectors.errors import UnknownKind
from connectors.http import HttpClient, MemoryValidatorStore, ValidatorStore
from connectors.model import (
    Capabilities,
    GoneType,
    ListedItem,
    Listing,
    Media,
    MediaRef,
    NotModifiedType,
    RemoteItem,
)
from connectors.options import SiteOptions


class Connector(Protocol):
    """Reads one remote site. Every method may raise connectors.errors.FetchError (network,
    HTTP status, caps), LoginFailed or ParseError; everything else is a bug."""

    async def list_items(self) -> Listing:
        """What the site lists now. ``Listing.complete`` says whether absence means gone."""
        ...

    async def fetch_item(self, entry: ListedItem) -> RemoteItem | NotModifiedType | GoneType:
        """The item behind a listing entry: NotModified when unchanged since the validators
        last stored for it, Gone when the site answers 404 or 410."""
        ...

    async def fetch_media(self, ref: MediaRef) -> Media | NotModifiedType | GoneType:
        """The bytes of an image or document (conditional, like fetch_item)."""
        ...

    def capabilities(self) -> Capabilities: ...


ConnectorFactory = Callable[[SiteOptions, HttpClient, ValidatorStore], Connector]

_REGISTRY: dict[str, ConnectorFactory] = {}


def register(kind: str, factory: ConnectorFactory) -> None:
    """Register a connector kind (a later registration replaces an earlier one)."""
    _REGISTRY[kind] = factory


def kinds() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def create(
    kind: str,
    options: SiteOptions,
    http: HttpClient,
    validators: ValidatorStore | None = None,
) -> Connector:
    """A connector of ``kind`` for one site. ``validators`` persists conditional-GET state
    between runs (defaults to an in-memory store). Raises UnknownKind."""
    _load_builtin()
    factory = _REGISTRY.get(kind)
    if factory is None:
        raise UnknownKind(kind, list(_REGISTRY))
    return factory(options, http, validators if validators is not None else MemoryValidatorStore())


def _load_builtin() -> None:
    # Imported lazily: the connector modules import this one for the protocol.
    from connectors import dnn, feed

    for module in (dnn, feed):
        register(module.KIND, module.create)
