"""What a `syncd backup run` process loads: no Alembic when the store's schema is current.

The command runs in a process of its own, as an administrator (or a timer unit) runs it, and
reports the packages it had loaded when it exits.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import text

from syncd.store.db import MIGRATIONS, create_engine, upgrade
from syncd.store.open import migration_heads
from tests.backup.cli_support import clean_env, local_target, syncd, write_config
from tests.backup.helpers import open_fresh_store, populate

PASS = "mật khẩu dài dài"

# `syncd ARGS`, then one stderr line naming every top-level package the process loaded.
_REPORTING_SYNCD = """
import atexit, sys
atexit.register(lambda: print(
    "LOADED", *sorted({name.split(".")[0] for name in sys.modules}), file=sys.stderr
))
sys.argv = ["syncd", *sys.argv[1:]]
from syncd.cli.main import main
main()
"""


def _run_reporting(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", _REPORTING_SYNCD, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    loaded = next(line for line in proc.stderr.splitlines() if line.startswith("LOADED "))
    return proc.returncode, proc.stderr, set(loaded.split()[1:])


def _setup(tmp_path: Path, state: Path) -> dict[str, str]:
    config = write_config(tmp_path / "syncd.toml", state, local_target(tmp_path / "nas"))
    env = clean_env(SYNCD_CONFIG=str(config), SYNCD_TEST_PASSPHRASE=PASS)
    init = syncd("backup", "init", cwd=tmp_path, env=env)
    assert init.returncode == 0, init.stderr
    return env


async def test_backup_run_on_a_current_store_loads_no_alembic(tmp_path: Path) -> None:
    state = tmp_path / "state"
    store = await open_fresh_store(f"sqlite+aiosqlite:///{state / 'syncd.db'}", state / "blobs")
    await populate(store, sites=1, items=4)
    await store.close()
    env = _setup(tmp_path, state)

    code, err, loaded = _run_reporting("backup", "run", cwd=tmp_path, env=env)

    assert code == 0, err
    assert {"alembic", "mako"}.isdisjoint(loaded)
    # Nor does it load the mirror's or the daemon's machinery.
    assert {"lxml", "aiohttp", "apscheduler", "prometheus_client"}.isdisjoint(loaded)


async def test_a_new_store_is_created_without_alembic(tmp_path: Path) -> None:
    # No database yet: `backup run` refuses (it never creates a store); `db upgrade` creates
    # the whole schema at once, stamped at the head.
    env = _setup(tmp_path, tmp_path / "state")

    code, err, _ = _run_reporting("backup", "run", cwd=tmp_path, env=env)
    assert code == 3 and "syncd: no store at" in err
    assert not (tmp_path / "state" / "syncd.db").exists()
    code, err, loaded = _run_reporting("db", "upgrade", cwd=tmp_path, env=env)

    assert code == 0, err
    assert {"alembic", "mako"}.isdisjoint(loaded)
    assert (tmp_path / "state" / "syncd.db").exists()


async def test_backup_run_still_migrates_a_store_that_needs_it(tmp_path: Path) -> None:
    # A store left at the first migration: Alembic brings it to the head before the backup.
    state = tmp_path / "state"
    url = f"sqlite+aiosqlite:///{state / 'syncd.db'}"
    await upgrade(url, "0001")
    env = _setup(tmp_path, state)

    code, err, loaded = _run_reporting("backup", "run", cwd=tmp_path, env=env)

    assert code == 0, err
    assert "alembic" in loaded
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            assert {row[0] for row in rows} == migration_heads()
    finally:
        await engine.dispose()


def test_migration_heads_read_without_alembic_agree_with_alembic() -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert migration_heads() == frozenset(ScriptDirectory.from_config(config).get_heads())
    assert migration_heads()
