"""Log output as a real process writes it: on a pipe, on a terminal, under systemd's variables."""

from __future__ import annotations

import errno
import json
import os
import pty
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncd.service.errors import LogSettingError
from syncd.service.logging import choose_format, configure_logging, level_number

REPO = Path(__file__).resolve().parents[2]

# What a daemon job does: structlog with bound fields, a library's stdlib logging, a warning
# from the warnings module, an exception, and a debug line that level filtering must drop.
PROGRAM = textwrap.dedent(
    """
    import logging, sys, warnings
    import structlog
    from syncd.service.logging import configure_logging

    configure_logging(sys.argv[1], sys.argv[2])
    structlog.contextvars.bind_contextvars(run_id="r-17")
    log = structlog.get_logger("syncd.mirror").bind(site="quangngai")
    log.debug("hidden detail")
    log.info("page stored", title="Tỉnh Quảng Ngãi", items=3)
    logging.getLogger("aiohttp.client").warning("retrying %s in %ds", "GET", 5)
    logging.getLogger("apscheduler").debug("hidden stdlib detail")
    warnings.warn("old option", UserWarning)
    try:
        password = "hunter2-secret"  # a local a traceback must not print
        1 / 0
    except ZeroDivisionError:
        log.exception("job failed")
    """
)

SYSTEMD_VARS = ("JOURNAL_STREAM", "INVOCATION_ID")


def _env(**extra: str) -> dict[str, str]:
    # The test run itself may be under systemd; the choice must come from what each case sets.
    env = {k: v for k, v in os.environ.items() if k not in SYSTEMD_VARS}
    env.update(extra)
    return env


def run_on_pipe(fmt: str, level: str = "info", **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, fmt, level],
        capture_output=True,
        text=True,
        env=_env(**env),
        cwd=REPO,
        timeout=60,
        check=True,
    )
    assert done.stderr == ""
    return done.stdout


def run_on_terminal(fmt: str, level: str = "info", **env: str) -> str:
    """Stdout is a pseudo-terminal, as when a person runs the daemon by hand."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, fmt, level],
        stdout=terminal,
        stderr=subprocess.PIPE,
        env=_env(**env),
        cwd=REPO,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError as exc:  # EIO: the child closed the terminal
            assert exc.errno == errno.EIO
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, stderr
    return b"".join(chunks).decode().replace("\r\n", "\n")


def json_lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def check_json_output(output: str) -> None:
    lines = json_lines(output)
    assert [line["event"] for line in lines] == [
        "page stored",
        "retrying GET in 5s",
        lines[2]["event"],  # the warnings module's text, checked below
        "job failed",
    ]
    stored, retry, warned, failed = lines
    assert stored["site"] == "quangngai"
    assert stored["run_id"] == "r-17"
    assert stored["title"] == "Tỉnh Quảng Ngãi"
    assert stored["items"] == 3
    assert stored["level"] == "info"
    assert stored["logger"] == "syncd.mirror"
    assert retry["level"] == "warning"
    assert retry["logger"] == "aiohttp.client"
    assert retry["run_id"] == "r-17"  # context reaches library lines too
    assert warned["logger"] == "py.warnings"
    assert str(warned["event"]).endswith("UserWarning: old option")
    assert failed["level"] == "error"
    assert "ZeroDivisionError" in str(failed["exception"])
    assert "hunter2" not in output
    for line in lines:
        assert list(line)[:4] == ["timestamp", "level", "logger", "event"]
        stamp = datetime.fromisoformat(str(line["timestamp"]))
        assert stamp.utcoffset() == UTC.utcoffset(None)


def test_auto_on_a_pipe_writes_json_lines() -> None:
    check_json_output(run_on_pipe("auto"))


@pytest.mark.parametrize("variable", SYSTEMD_VARS)
def test_auto_under_systemd_writes_json_even_on_a_terminal(variable: str) -> None:
    check_json_output(run_on_terminal("auto", **{variable: "8:12345"}))


def test_auto_on_a_terminal_is_readable_console_output() -> None:
    output = re.sub(r"\x1b\[[0-9;]*m", "", run_on_terminal("auto"))
    assert not output.lstrip().startswith("{")
    first = output.splitlines()[0]
    assert "page stored" in first
    assert "site=quangngai" in first
    assert "run_id=r-17" in first
    assert "retrying GET in 5s" in output
    assert "ZeroDivisionError" in output
    assert "hidden detail" not in output
    assert "hunter2" not in output  # no locals in tracebacks


def test_the_setting_overrides_the_detection() -> None:
    check_json_output(run_on_terminal("json"))
    console = run_on_pipe("console", INVOCATION_ID="abc")
    assert "page stored" in console
    with pytest.raises(json.JSONDecodeError):
        json_lines(console)


def test_level_filters_structlog_and_stdlib_alike() -> None:
    events = [line["event"] for line in json_lines(run_on_pipe("json", "warning"))]
    assert events[0] == "retrying GET in 5s"
    assert events[-1] == "job failed"
    assert len(events) == 3
    debug = [line["event"] for line in json_lines(run_on_pipe("json", "debug"))]
    assert "hidden detail" in debug
    assert "hidden stdlib detail" in debug


def test_format_choice() -> None:
    assert choose_format("auto", {}, on_terminal=True) == "console"
    assert choose_format("auto", {}, on_terminal=False) == "json"
    assert choose_format("auto", {"INVOCATION_ID": "x"}, on_terminal=True) == "json"
    assert choose_format("console", {"JOURNAL_STREAM": "8:1"}, on_terminal=False) == "console"


def test_unknown_settings_are_one_line_errors() -> None:
    with pytest.raises(LogSettingError, match="log format must be one of auto, json, console"):
        configure_logging("yaml")
    with pytest.raises(LogSettingError, match="log level must be one of"):
        level_number("loud")
    assert level_number("WARNING") == 30
