"""Mistakes an operator makes, through the real command line: each ends in exit 1, 2 or 3 with
one line on stderr naming the setting, option or path at fault; never a traceback or exit 70."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from syncd.store.db import create_engine
from tests.support.cli import Cli

SITE = '[[sites]]\nkey = "konray"\nunit = "kr"\nkind = "dnn"\nbase_url = "https://konray.example"\n'


def config(tmp_path: Path, extra: str = "", *, daemon: str = "", site: str = SITE) -> Path:
    path = tmp_path / "syncd.toml"
    path.write_text(
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nlisten = "127.0.0.1:0"\n{daemon}'
        '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
        f"{site}{extra}",
        encoding="utf-8",
    )
    return path


# --- 1. every address, duration and reference is checked at load ----------------------------

UNITS = '[[units]]\nkey = "a"\nname = "A"\nlevel = "commune"\ndissolved = true\n'
CHECKED = [
    ("base_url", SITE.replace("https://konray.example", "http://[::1"), "", "sites[0].base_url"),
    ("space", SITE.replace("konray.example", "kon ray.example"), "", "sites[0].base_url"),
    ("port", SITE.replace("konray.example", "konray.example:99999"), "", "sites[0].base_url"),
    ("schedule", SITE + 'schedule = "0s"\n', "", "sites[0].schedule"),
    ("check_every", SITE, '[alerting]\ncheck_every = "0s"\n', "alerting.check_every"),
    ("listen", SITE, "", "daemon.listen"),
    ("endpoint", SITE,
     '[[backup_targets]]\nkey = "t"\nkind = "s3"\nendpoint = "s3.example.vn"\nbucket = "b"\n',
     "backup_targets[0].endpoint"),
    ("own_successor", SITE, UNITS + 'successor = "a"\n', "units[1].successor"),
    ("successor_cycle", SITE,
     UNITS + 'successor = "b"\n' + UNITS.replace('"a"', '"b"') + 'successor = "a"\n',
     "units[1].successor"),
    ("unknown_successor", SITE, UNITS + 'successor = "nowhere"\n', "units[1].successor"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("site", "extra", "key"), [c[1:] for c in CHECKED], ids=[c[0] for c in CHECKED]
)
def test_config_check_refuses_at_load_naming_the_key(
    cli: Cli, tmp_path: Path, site: str, extra: str, key: str
) -> None:
    path = config(tmp_path, extra, site=site)
    if key == "daemon.listen":
        path.write_text(path.read_text().replace("127.0.0.1:0", "127.0.0.1:99999"))
    cli("config", "check", "-c", str(path)).refused(2, f"syncd: {key}: ")


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("postgres://syncd:pw@db.example/syncd", "postgresql+asyncpg://"),
        ("postgresql://syncd@db.example/syncd", "postgresql+asyncpg://"),
        ("sqlite:////var/lib/syncd/syncd.db", "sqlite+aiosqlite://"),
    ],
)
def test_store_url_near_misses_get_the_driver_hint(
    cli: Cli, tmp_path: Path, url: str, hint: str
) -> None:
    path = config(tmp_path, daemon=f'store_url = "{url}"\n')
    line = cli("config", "check", "-c", str(path)).refused(2, "daemon.store_url", hint)
    assert "pw" not in line  # the URL may carry a password: never echoed


@pytest.mark.parametrize("command", [["run", "--burst"], ["sync"], ["units"], ["show", "1"]])
def test_every_command_that_loads_the_config_refuses_it(
    cli: Cli, tmp_path: Path, command: list[str]
) -> None:
    # the daemon used to accept this and then crash-loop every 5 s
    path = config(tmp_path, site=SITE.replace("https://konray.example", "http://[::1"))
    cli(*command, "-c", str(path)).refused(2, "sites[0].base_url")
    assert not (tmp_path / "state").exists()


# --- 2. secrets: an error for the commands that need them, unless the site is disabled -------

CREDENTIALS = 'credentials = { username = "syncd", password = { env = "T_KONRAY_PW" } }\n'


@pytest.mark.parametrize("command", [["config", "check"], ["sync"], ["run", "--burst"]])
def test_a_missing_secret_of_an_enabled_site_is_an_error(
    cli: Cli, tmp_path: Path, command: list[str]
) -> None:
    path = config(tmp_path, site=SITE + CREDENTIALS)
    cli(*command, "-c", str(path)).refused(
        2, "sites[0].credentials.password", "T_KONRAY_PW is not set", "site 'konray'"
    )
    assert not (tmp_path / "state").exists()


def test_config_check_no_secrets_checks_the_file_alone(cli: Cli, tmp_path: Path) -> None:
    path = config(tmp_path, site=SITE + CREDENTIALS)
    done = cli("config", "check", "--no-secrets", "-c", str(path))
    assert (done.code, done.err) == (0, "")
    assert "<secret env:T_KONRAY_PW>" in done.out


def test_a_disabled_site_needs_no_secret(cli: Cli, tmp_path: Path) -> None:
    path = config(tmp_path, site=SITE + "enabled = false\n" + CREDENTIALS)
    check = cli("config", "check", "-q", "-c", str(path))
    assert check.code == 0
    assert check.err.strip().endswith("T_KONRAY_PW is not set (the site is disabled)")
    burst = cli("run", "--burst", "-c", str(path))
    assert burst.code == 0, burst.err
    assert "burst: 0 sites mirrored" in burst.out
    cli("sync", "konray", "-c", str(path)).refused(2, "sites[0].enabled", "'konray' is disabled")


# --- 3. what the machine refuses: one line, exit 1 or 2, never 70 ----------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_listen_port_in_use_exits_1(cli: Cli, tmp_path: Path, busy_port: int) -> None:
    path = config(tmp_path)
    path.write_text(path.read_text().replace("127.0.0.1:0", f"127.0.0.1:{busy_port}"))
    cli("run", "-c", str(path)).refused(1, "daemon.listen", f"{busy_port}", "in use")


def test_listen_host_that_does_not_resolve_exits_1(cli: Cli, tmp_path: Path) -> None:
    # exit 1, not 2: at boot a name or an address may come up after syncd starts, and
    # systemd restarts on 1 but not on 2 (RestartPreventExitStatus=2)
    path = config(tmp_path)
    path.write_text(path.read_text().replace("127.0.0.1:0", "no-such-host.invalid:8470"))
    cli("run", "-c", str(path)).refused(1, "daemon.listen", "no-such-host.invalid")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


@pytest.mark.parametrize("command", [["db", "upgrade"], ["sync"], ["run", "--burst"]])
def test_state_dir_that_cannot_be_written_exits_2(
    cli: Cli, tmp_path: Path, read_only: Path, command: list[str]
) -> None:
    path = config(tmp_path)
    under_ro = path.read_text().replace(str(tmp_path / "state"), str(read_only / "state"))
    path.write_text(under_ro)
    cli(*command, "-c", str(path)).refused(2, "daemon.state_dir", str(read_only / "state"))
    (tmp_path / "a-file").write_text("")
    path.write_text(under_ro.replace(str(read_only), str(tmp_path / "a-file")))
    cli(*command, "-c", str(path)).refused(2, "daemon.state_dir", "Not a directory")


def test_show_with_an_id_past_any_integer_exits_3(cli: Cli, tmp_path: Path) -> None:
    path = config(tmp_path)
    assert cli("db", "upgrade", "-c", str(path)).code == 0
    cli("show", "-c", str(path), "1" * 30).refused(3, f"no item '{'1' * 30}'")


def test_export_out_where_nothing_can_be_written_exits_2(
    cli: Cli, tmp_path: Path, read_only: Path
) -> None:
    path = config(tmp_path)
    assert cli("db", "upgrade", "-c", str(path)).code == 0
    out = read_only / "konray"
    cli("export", "konray", "--out", str(out), "-c", str(path)).refused(2, "--out", str(read_only))
    assert not out.exists()


def test_restore_into_a_read_only_folder_exits_2(
    cli: Cli, tmp_path: Path, read_only: Path
) -> None:
    backup = ["--local", str(tmp_path), "--recovery-key", "x"]
    store = f"sqlite+aiosqlite:///{read_only / 'new' / 'syncd.db'}"
    cli("restore", "latest", "--store", store, *backup).refused(2, "--store", str(read_only))
    blobs = ["--blobs", str(read_only / "blobs")]
    store = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    done = cli("restore", "latest", "--store", store, *blobs, *backup)
    done.refused(2, "--blobs", str(read_only))


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["show", "1", "--rev", "abc"], ["'--rev'", "`syncd show --help`"]),
        (["db", "check", "--grace", "1h"], ["only with --prune-orphans"]),
        (["export", "konray"], ["Missing option '--out'"]),
        (["no-such-command"], ["No such command"]),
    ],
)
def test_usage_errors_are_one_line_too(
    cli: Cli, tmp_path: Path, command: list[str], words: list[str]
) -> None:
    cli(*command, "-c", str(config(tmp_path))).refused(2, *words)


# --- 4. read-only commands never create a store -----------------------------------------------

READ_ONLY = [
    ["show", "1"],
    ["history", "konray:1"],
    ["diff", "1", "1", "2"],
    ["db", "check"],
    ["alerts", "show"],
    ["export", "konray", "--out", "{tmp}/out"],
    ["backup", "run"],
]


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: " ".join(c[:2]))
def test_read_only_commands_exit_3_and_create_nothing(
    cli: Cli, tmp_path: Path, command: list[str]
) -> None:
    target = f'[[backup_targets]]\nkey = "nas"\nkind = "local"\npath = "{tmp_path / "nas"}"\n'
    path = config(tmp_path, target + 'passphrase = { env = "T_PASS" }\n')
    args = [a.format(tmp=tmp_path) for a in command]
    cli(*args, "-c", str(path), T_PASS="p").refused(
        3, f"no store at {tmp_path / 'state' / 'syncd.db'}", "syncd db upgrade"
    )
    assert not (tmp_path / "state").exists()


async def test_an_empty_database_is_no_store_either(
    cli: Cli, tmp_path: Path, store_url: str
) -> None:
    path = config(tmp_path, daemon=f'store_url = "{store_url}"\n')
    for command in (["show", "1"], ["db", "check"]):
        cli(*command, "-c", str(path)).refused(3, "no store at", "syncd db upgrade")
    engine = create_engine(store_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(lambda c: inspect(c).get_table_names()) == []
    finally:
        await engine.dispose()


async def test_a_database_that_does_not_exist_is_no_store(
    cli: Cli, tmp_path: Path, store_url: str
) -> None:
    url = make_url(store_url)
    sqlite = url.get_backend_name() == "sqlite"
    missing = url.set(database=str(tmp_path / "none" / "s.db") if sqlite else "syncd_none_10c")
    rendered = missing.render_as_string(hide_password=False)
    path = config(tmp_path, daemon=f'store_url = "{rendered}"\n')
    cli("history", "konray:1", "-c", str(path)).refused(3, "no store at")
    assert not (tmp_path / "none").exists()


def test_a_store_that_does_not_answer_exits_1(cli: Cli, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+asyncpg://syncd@127.0.0.1:{port}/syncd"
    path = config(tmp_path, daemon=f'store_url = "{url}"\n')
    for command in (["show", "1"], ["db", "upgrade"], ["sync"]):
        cli(*command, "-c", str(path)).refused(1, f"127.0.0.1:{port}")
