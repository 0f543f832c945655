"""DNN JWT login (DNN's JwtAuth handler): log in, renew before expiry, log in again when the
renewal token is spent."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from connectors.errors import InsecureLogin, LoginFailed
from connectors.http import HttpClient, Response
from connectors.options import SiteOptions

LOGIN_PATH = "/API/JwtAuth/mobile/login"
RENEW_PATH = "/API/JwtAuth/mobile/extendtoken"
DEFAULT_LIFETIME = 60 * 60.0  # DNN's access tokens live an hour
RENEW_MARGIN = 5 * 60.0  # renew this long before the access token expires


def token_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT (not verified: we only schedule renewal by it)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) else None


class JwtSession:
    """Bearer headers for one site's account. ``clock`` returns epoch seconds (injectable so
    tests can follow a simulated clock)."""

    def __init__(
        self, http: HttpClient, options: SiteOptions, clock: Callable[[], float] = time.time
    ) -> None:
        if options.username is None or options.password is None:
            raise ValueError("JwtSession needs a username and a password")
        self.http = http
        self.options = options
        self.clock = clock
        self.access: str | None = None
        self.renewal: str | None = None
        self.expires_at = 0.0
        self.logins = 0
        self.renewals = 0

    async def headers(self) -> dict[str, str]:
        if self.access is None:
            await self.login()
        elif self.clock() >= self.expires_at - RENEW_MARGIN:
            await self.renew()
        return {"Authorization": f"Bearer {self.access}"}

    async def refresh(self) -> None:
        """After the site refused our token: renew, or log in again if renewal fails."""
        if self.access is None:
            await self.login()
        else:
            await self.renew()

    async def login(self) -> None:
        url = self._secure_url(LOGIN_PATH)
        body = {"u": self.options.username, "p": self.options.password}
        response = await self.http.post_json(url, body, trust=self.options.trust)
        if response.status != 200:
            raise LoginFailed(f"{url}: {_reason(response)}")
        self._accept(response)
        self.logins += 1

    async def renew(self) -> None:
        if self.renewal is None or self.access is None:
            await self.login()
            return
        response = await self.http.post_json(
            self._secure_url(RENEW_PATH),
            {"rtoken": self.renewal},
            trust=self.options.trust,
            headers={"Authorization": f"Bearer {self.access}"},
        )
        if response.status != 200:
            self.access = self.renewal = None  # spent or revoked: start over
            await self.login()
            return
        self._accept(response)
        self.renewals += 1

    def _secure_url(self, path: str) -> str:
        """The URL to send credentials or tokens to; plain http only when the site allows it."""
        url = self.options.url(path)
        if urlsplit(url).scheme != "https" and not self.options.allow_insecure_login:
            raise InsecureLogin(
                f"site {self.options.base_url}: refusing to send credentials over plain http "
                f"to {url}; use an https base_url or set allow_insecure_login = true for the site"
            )
        return url

    def _accept(self, response: Response) -> None:
        try:
            data = json.loads(response.body)
            access = str(data["accessToken"])
            renewal = str(data.get("renewalToken") or self.renewal or "")
        except (ValueError, KeyError, TypeError) as error:
            raise LoginFailed(f"{response.url}: login answer is not a token ({error})") from None
        self.access, self.renewal = access, renewal or None
        self.expires_at = token_expiry(access) or self.clock() + DEFAULT_LIFETIME


def _reason(response: Response) -> str:
    challenge = response.headers.get("WWW-Authenticate", "")
    code = challenge.split(" ", 1)[1].strip() if " " in challenge else ""
    return f"HTTP {response.status}" + (f" ({code})" if code else "")
