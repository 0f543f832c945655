"""Log configuration: JSON lines for journald and pipes, readable lines on a terminal.

structlog renders everything, including records from the standard library's logging (aiohttp,
APScheduler, SQLAlchemy, warnings), so one stream on stdout holds one format.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor

from syncd.service.errors import LogSettingError

LogFormat = Literal["json", "console"]

FORMATS = ("auto", "json", "console")
LEVELS: dict[str, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def choose_format(setting: str, environ: Mapping[str, str], on_terminal: bool) -> LogFormat:
    """The format to write: the setting, or under 'auto' JSON unless a person reads stdout."""
    if setting == "json":
        return "json"
    if setting == "console":
        return "console"
    if setting != "auto":
        raise LogSettingError(f"log format must be one of {', '.join(FORMATS)}, got {setting!r}")
    # systemd sets JOURNAL_STREAM when stdout goes to journald and INVOCATION_ID for every unit.
    under_systemd = bool(environ.get("JOURNAL_STREAM") or environ.get("INVOCATION_ID"))
    return "json" if under_systemd or not on_terminal else "console"


def level_number(level: str) -> int:
    try:
        return LEVELS[level.lower()]
    except KeyError:
        raise LogSettingError(
            f"log level must be one of {', '.join(LEVELS)}, got {level!r}"
        ) from None


def _writes_utf8(stream: TextIO) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return encoding == "utf8"


def _renderer(fmt: LogFormat, stream: TextIO) -> Processor:
    if fmt == "json":
        # Site names are Vietnamese; keep them readable unless the stream could not encode them.
        return structlog.processors.JSONRenderer(ensure_ascii=not _writes_utf8(stream))
    return structlog.dev.ConsoleRenderer(
        colors=stream.isatty(),
        # Locals of a failing frame can hold passwords and tokens; a log must never show them.
        exception_formatter=structlog.dev.RichTracebackFormatter(show_locals=False),
    )


def _tidy_event(_logger: object, _method: str, event: EventDict) -> EventDict:
    """Drop the trailing newline the warnings module puts on its messages."""
    text = event.get("event")
    if isinstance(text, str):
        event["event"] = text.rstrip()
    return event


_LEADING_KEYS = ("timestamp", "level", "logger", "event")


def _leading_keys_first(_logger: object, _method: str, event: EventDict) -> EventDict:
    """Put the fields a person scans for first, so `journalctl -o cat` reads well."""
    ordered = {key: event.pop(key) for key in _LEADING_KEYS if key in event}
    ordered.update(event)
    return ordered


class _SyncdHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler we install, so configuring again replaces it instead of doubling lines."""


def configure_logging(
    fmt: str = "auto",
    level: str = "info",
    *,
    stream: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Route structlog and stdlib logging to `stream` (stdout) in one format at one level.

    fmt: auto | json | console. level: debug | info | warning | error | critical.
    """
    out = sys.stdout if stream is None else stream
    env = os.environ if environ is None else environ
    chosen = choose_format(fmt, env, out.isatty())
    threshold = level_number(level)

    # Applied to structlog events and stdlib records alike, before rendering.
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        _tidy_event,
    ]
    final: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if chosen == "json":
        # The console renderer prints tracebacks itself; JSON needs them as a string field.
        final.append(structlog.processors.format_exc_info)
        final.append(_leading_keys_first)
    final.append(_renderer(chosen, out))

    handler = _SyncdHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=final)
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _SyncdHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(threshold)
    # warnings.warn() from libraries becomes a record of the "py.warnings" logger.
    logging.captureWarnings(True)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: loggers made at import time must follow a later reconfiguration.
        cache_logger_on_first_use=False,
    )
