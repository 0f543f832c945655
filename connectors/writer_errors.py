"""What can go wrong when writing to a target site; each message is one line.

The split matters to the delivery worker: TargetUnavailable is retried later, OutcomeUnknown
means "look for the copy's marker before trying again", and the rest need a person.
"""

from __future__ import annotations

from connectors.errors import ConnectorError


class WriteError(ConnectorError):
    """Base of every error a writer raises; ``target`` names the endpoint."""

    def __init__(self, target: str, message: str) -> None:
        self.target = target
        super().__init__(f"{target}: {message}")


class CredentialsRefused(WriteError):
    """The target refused the user name and password, or the account may not write there."""


class PostRejected(WriteError):
    """The target refused this post (too large, a field it does not accept, ...)."""


class UnknownCategories(WriteError):
    """The post names categories the target does not have; writers never invent them."""

    def __init__(self, target: str, missing: tuple[str, ...]) -> None:
        self.missing = missing
        super().__init__(target, "no such categories on the target: " + ", ".join(missing))


class CopyMissing(WriteError):
    """The copy the caller refers to no longer exists on the target."""


class OutcomeUnknown(WriteError):
    """The target may or may not have carried out the call (it failed after the request was
    sent, or the target reports failure after having written): find the copy before retrying."""


class TargetUnavailable(WriteError):
    """A transient failure (network, 5xx, 429); ``retry_after`` is the server's wish, if any."""

    def __init__(self, target: str, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(target, message)
