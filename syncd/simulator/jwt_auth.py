"""DNN's JWT handler: login, extend (renew) and logout, plus Bearer checks for other APIs.

Tokens are real HS256 JWTs signed with a per-site secret; the session remembers which access
token is current, so a renewed token retires its predecessor.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from aiohttp import web

from .config import SimUser
from .keys import state_of
from .state import Session, SiteState


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _secret(state: SiteState) -> bytes:
    return hashlib.sha256(f"sim-jwt-{state.config.seed}-{state.config.name}".encode()).digest()


def issue(state: SiteState, session: Session) -> str:
    now = state.clock.now()
    session.access_serial += 1
    claims = {
        "sid": session.session_id,
        "uid": session.user_id,
        "n": session.access_serial,
        "iat": int(now.timestamp()),
        "exp": int((now + state.config.access_token_lifetime).timestamp()),
    }
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(_secret(state), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


def claims_of(state: SiteState, token: str) -> dict[str, Any] | None:
    """The claims of a token this site signed, expired or not; None when forged or garbled."""
    try:
        head, body, sig = token.split(".")
        expected = hmac.new(_secret(state), f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(sig)):
            return None
        claims = json.loads(_unb64(body))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def unauthorized(code: str) -> web.Response:
    return web.json_response(
        {"Message": code}, status=401, headers={"WWW-Authenticate": f"Bearer {code}"}
    )


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_user(request: web.Request) -> SimUser | None:
    """The user of a valid, unexpired, current access token, or None."""
    state = state_of(request)
    token = bearer(request)
    claims = claims_of(state, token) if token else None
    if claims is None:
        return None
    session = state.sessions.get(str(claims.get("sid")))
    if session is None or claims.get("n") != session.access_serial:
        return None
    if int(claims.get("exp", 0)) <= state.clock.now().timestamp():
        return None
    return next((u for u in state.config.users if u.user_id == session.user_id), None)


def _reply(user: SimUser, access: str, session: Session) -> web.Response:
    return web.json_response(
        {
            "userId": user.user_id,
            "displayName": user.display_name,
            "accessToken": access,
            "renewalToken": session.renewal_token,
        }
    )


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def login(request: web.Request) -> web.Response:
    state = state_of(request)
    if not state.config.jwt_enabled:
        raise web.HTTPNotFound()
    data = await _json(request)
    user = state.config.user(str(data.get("u", "")))
    if user is None or user.password != data.get("p"):
        return unauthorized("bad-credentials")
    serial = len(state.sessions) + state.generation * 1_000 + 1
    seed = f"{state.config.seed}:{user.user_id}:{serial}:{state.clock.now().timestamp()}"
    digest = hashlib.sha256(seed.encode()).hexdigest()
    session = Session(
        session_id=digest[:16],
        user_id=user.user_id,
        renewal_token=_b64(hashlib.sha256(("renew" + seed).encode()).digest()),
        renewal_expires=state.clock.now() + state.config.renewal_token_lifetime,
    )
    state.sessions[session.session_id] = session
    return _reply(user, issue(state, session), session)


async def extend_token(request: web.Request) -> web.Response:
    state = state_of(request)
    if not state.config.jwt_enabled:
        raise web.HTTPNotFound()
    token = bearer(request)
    claims = claims_of(state, token) if token else None
    session = state.sessions.get(str(claims.get("sid"))) if claims else None
    if claims is None or session is None or claims.get("n") != session.access_serial:
        return unauthorized("bad-jwt")
    data = await _json(request)
    if data.get("rtoken") != session.renewal_token:
        return unauthorized("bad-jwt")
    if state.clock.now() >= session.renewal_expires:
        del state.sessions[session.session_id]
        return unauthorized("not-more-renewal")
    user = next(u for u in state.config.users if u.user_id == session.user_id)
    return _reply(user, issue(state, session), session)


async def logout(request: web.Request) -> web.Response:
    state = state_of(request)
    token = bearer(request)
    claims = claims_of(state, token) if token else None
    if claims is None or state.sessions.pop(str(claims.get("sid")), None) is None:
        return unauthorized("bad-jwt")
    return web.json_response({"success": True})
