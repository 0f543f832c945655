"""Reading the TOML file and turning validation failures into one message with a key path."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from syncd.config.checks import check_references
from syncd.config.model import Config
from syncd.errors import ConfigError

_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "list_type": "expected a list",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
}


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _first_error(exc: ValidationError) -> ConfigError:
    error = exc.errors(include_url=False)[0]
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    path = _key_path(loc)
    kind = error["type"]
    problem = _MESSAGES.get(kind)
    if problem is None:
        problem = str(error["msg"]).removeprefix("Value error, ")
    elif kind != "extra_forbidden" and kind != "missing":
        problem += f", got {type(error['input']).__name__} {error['input']!r}"
    if kind == "literal_error":
        problem = f"{error['msg'].replace('Input should be', 'expected')}, got {error['input']!r}"
    return ConfigError(path, problem)


def parse_config(text: str, source: str = "<config>") -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, f"not valid TOML: {exc}") from exc
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise _first_error(exc) from exc
    check_references(config)
    return config


def load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(str(path), "file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot read: {exc}") from exc
    return parse_config(text, str(path))
