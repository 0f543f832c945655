"""Secrets for targets come from an environment variable, a file, or a systemd credential
(LoadCredential= puts it in $CREDENTIALS_DIRECTORY); never from the config file itself."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from backups.errors import CredentialError


@dataclass(frozen=True)
class SecretSource:
    """Exactly one of the three fields names where the secret lives."""

    env: str | None = None
    file: str | None = None
    credential: str | None = None

    def describe(self) -> str:
        if self.env:
            return f"environment variable {self.env}"
        if self.file:
            return f"file {self.file}"
        return f"systemd credential {self.credential}"


def read_secret(source: SecretSource, what: str, environ: Mapping[str, str] | None = None) -> str:
    """The secret, stripped of surrounding whitespace; CredentialError names what is wrong."""
    env = os.environ if environ is None else environ
    chosen = [v for v in (source.env, source.file, source.credential) if v]
    if len(chosen) != 1:
        raise CredentialError(f"{what}: set exactly one of env, file, credential")
    if source.env:
        value = env.get(source.env)
        if value is None:
            raise CredentialError(f"{what}: {source.describe()} is not set")
    else:
        if source.file:
            path = Path(source.file)
        else:
            directory = env.get("CREDENTIALS_DIRECTORY")
            if not directory:
                raise CredentialError(
                    f"{what}: {source.describe()} needs $CREDENTIALS_DIRECTORY (LoadCredential=)"
                )
            path = Path(directory) / str(source.credential)
        try:
            value = path.read_text()
        except OSError as exc:
            raise CredentialError(f"{what}: cannot read {path}: {exc.strerror}") from exc
    value = value.strip()
    if not value:
        raise CredentialError(f"{what}: {source.describe()} is empty")
    return value
