"""Typed keys shared by the app, its middlewares and handlers."""

from __future__ import annotations

from contextvars import ContextVar

from aiohttp import web

from .faults import FaultKind
from .state import SiteState

STATE: web.AppKey[SiteState] = web.AppKey("sim_state", SiteState)

# Set by the fault middleware, for the task serving one request, when the site plays
# "crashed, lists nothing" (a context variable: each request is served in its own task).
EMPTY_LISTINGS: ContextVar[bool] = ContextVar("sim_empty_listings", default=False)
# Every fault kind that struck the request being served, for handlers that play a fault
# themselves (MetaWeblog's save-then-fault).
STRUCK: ContextVar[frozenset[FaultKind]] = ContextVar("sim_struck", default=frozenset())


def state_of(request: web.Request) -> SiteState:
    return request.app[STATE]


def listings_empty(request: web.Request) -> bool:
    return EMPTY_LISTINGS.get()
