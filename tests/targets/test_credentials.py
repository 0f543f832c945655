"""Secrets come from exactly one of: an environment variable, a file, a systemd credential."""

from __future__ import annotations

from pathlib import Path

import pytest

from backups.errors import CredentialError
from backups.targets.credentials import SecretSource, read_secret


def test_from_env() -> None:
    assert read_secret(SecretSource(env="K"), "key", {"K": " s3cret \n"}) == "s3cret"


def test_from_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("from-file\n")
    assert read_secret(SecretSource(file=str(tmp_path / "f")), "key", {}) == "from-file"


def test_from_systemd_credential(tmp_path: Path) -> None:
    (tmp_path / "s3").write_text("cred")
    environ = {"CREDENTIALS_DIRECTORY": str(tmp_path)}
    assert read_secret(SecretSource(credential="s3"), "key", environ) == "cred"


@pytest.mark.parametrize(
    ("source", "environ", "message"),
    [
        (SecretSource(env="K"), {}, "environment variable K is not set"),
        (SecretSource(env="K"), {"K": "  "}, "is empty"),
        (SecretSource(file="/nonexistent/secret"), {}, "cannot read /nonexistent/secret"),
        (SecretSource(credential="s3"), {}, "needs \\$CREDENTIALS_DIRECTORY"),
        (SecretSource(), {}, "exactly one"),
        (SecretSource(env="K", file="/f"), {"K": "v"}, "exactly one"),
    ],
)
def test_errors_name_the_problem(
    source: SecretSource, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(CredentialError, match=f"backup secret: .*{message}"):
        read_secret(source, "backup secret", environ)
