"""Secret references: a secret is named in the config, never written in it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from syncd.errors import ConfigError


class SecretRef(BaseModel):
    """Exactly one of: an environment variable, a file, or a systemd credential name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str | None = None
    file: Path | None = None
    credential: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _refuse_inline(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(
                'secrets must not be written inline; use {env = "NAME"}, '
                '{file = "/path"} or {credential = "NAME"}'
            )
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        given = [n for n in ("env", "file", "credential") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of env, file or credential")
        return self

    def describe(self) -> str:
        """What the masked configuration shows: where the secret comes from, never its value."""
        if self.env is not None:
            return f"env:{self.env}"
        if self.file is not None:
            return f"file:{self.file}"
        return f"credential:{self.credential}"

    def _source(self) -> Path | None:
        if self.file is not None:
            return self.file
        if self.credential is not None:
            directory = os.environ.get("CREDENTIALS_DIRECTORY")
            return Path(directory) / self.credential if directory else None
        return None

    def problem(self) -> str | None:
        """Why the secret cannot be read now; None when it can."""
        try:
            self.reveal()
        except ConfigError as exc:
            return exc.problem
        return None

    def reveal(self, where: str = "") -> str:
        """The secret's value; a ConfigError naming `where` when it cannot be read."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None:
                raise ConfigError(where, f"environment variable {self.env} is not set")
            return value
        source = self._source()
        if source is None:
            raise ConfigError(
                where,
                "CREDENTIALS_DIRECTORY is not set (run under systemd "
                "LoadCredential=, or use env/file)",
            )
        try:
            return source.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(where, f"cannot read secret file {source}: {exc.strerror}") from exc
