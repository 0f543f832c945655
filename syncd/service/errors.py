"""Errors raised when the service environment (systemd variables, log settings) is unusable."""

from __future__ import annotations

from syncd.errors import SyncdError


class ServiceEnvError(SyncdError):
    """A variable systemd (or a person imitating it) set cannot be used; names the variable."""

    exit_code = 2

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        super().__init__(f"${variable}: {problem}")


class LogSettingError(SyncdError):
    """An unknown log format or level was asked for."""

    exit_code = 2
