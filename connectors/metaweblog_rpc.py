"""One XML-RPC call to a MetaWeblog endpoint over the project's HTTP client, with every
failure turned into a writer error.

The stdlib's xmlrpc.client only marshals. Calls are never retried here (newPost is not
idempotent): a transport failure during newPost or newMediaObject is OutcomeUnknown, during
any other method TargetUnavailable. Faults come back as RpcFault for the writer to judge,
except refused logins: the DNN Blog sends every fault with code 0, so those are recognised by
its default texts, other servers by codes 403 (WordPress) and 801 (older Blogger servers).
"""

from __future__ import annotations

import asyncio
import xmlrpc.client
from typing import Any

from connectors.errors import ConnectionFailed, FetchError, Timeout
from connectors.http import HttpClient
from connectors.http.guard import Trust
from connectors.writer import OFF_LOOP_BYTES
from connectors.writer_errors import (
    CredentialsRefused,
    OutcomeUnknown,
    TargetUnavailable,
    WriteError,
    transport_reason,
)

_REFUSED_TEXTS = (
    "username or the password is invalid",
    "trying to authenticate the user",
    "access to this blog is not permitted",
    "through this api has been denied",
)
_REFUSED_CODES = frozenset({403, 801})
_CREATING = frozenset({"metaWeblog.newPost", "metaWeblog.newMediaObject"})


class RpcFault(WriteError):
    """A fault the caller still has to judge (what it means depends on the method)."""

    def __init__(self, target: str, code: int, message: str) -> None:
        self.code = code
        super().__init__(target, message)


async def call(
    http: HttpClient, endpoint: str, method: str, params: tuple[Any, ...], *, trust: Trust
) -> Any:
    """The result of ``method(*params)`` at ``endpoint``."""
    body = await _encoded(method, params)
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    try:
        response = await http.send(
            "POST", endpoint, body, headers=headers, trust=trust
        )
    except (Timeout, ConnectionFailed) as error:
        failed = OutcomeUnknown if method in _CREATING else TargetUnavailable
        raise failed(endpoint, f"{method}: {transport_reason(error)}") from error
    except FetchError as error:
        raise WriteError(endpoint, f"{method}: {transport_reason(error)}") from error
    if response.status >= 500 or response.status == 429:
        raise TargetUnavailable(endpoint, f"{method}: HTTP {response.status}")
    if response.status != 200:
        raise WriteError(endpoint, f"{method}: HTTP {response.status}")
    try:
        result, _ = xmlrpc.client.loads(response.body, use_builtin_types=True)
    except xmlrpc.client.Fault as fault:
        raise _judged(endpoint, method, fault) from None
    except Exception as error:  # expat and marshalling errors: the answer is not XML-RPC
        raise WriteError(endpoint, f"{method}: not an XML-RPC answer ({error})") from error
    return result[0] if result else None


async def _encoded(method: str, params: tuple[Any, ...]) -> bytes:
    def encode() -> bytes:
        return xmlrpc.client.dumps(params, methodname=method, encoding="utf-8").encode()

    # a file's bits are base64-encoded in the call: large ones off the event loop
    large = any(isinstance(p, dict) and len(p.get("bits", b"")) > OFF_LOOP_BYTES for p in params)
    return await asyncio.to_thread(encode) if large else encode()


def _judged(endpoint: str, method: str, fault: xmlrpc.client.Fault) -> WriteError:
    text = " ".join(str(fault.faultString).split())
    if fault.faultCode in _REFUSED_CODES or any(s in text.lower() for s in _REFUSED_TEXTS):
        return CredentialsRefused(endpoint, f"{method} refused: {text}")
    return RpcFault(endpoint, int(fault.faultCode), f"{method} failed: {text}")
