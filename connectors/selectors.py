"""A small CSS selector subset translated to XPath (pure), so per-site content selectors need no
extra dependency.

Supported: comma-separated alternatives of descendant (space) and child (>) chains of simple
selectors made of an optional tag, ``#id``, ``.class`` (any number) and ``[attr]`` /
``[attr=value]``. A selector starting with ``/`` or ``(`` is taken as XPath as it is.
"""

from __future__ import annotations

import re

from connectors.errors import OptionsError

_SIMPLE = re.compile(
    r"""(?P<tag>[A-Za-z][A-Za-z0-9-]*|\*)?
        (?P<rest>(?:\#[\w-]+|\.[\w-]+|\[[\w-]+(?:=(?:"[^"]*"|'[^']*'|[^\]]*))?\])*)$""",
    re.VERBOSE,
)
_QUOTES = "\"'"
_PART = re.compile(r"""\#[\w-]+|\.[\w-]+|\[([\w-]+)(?:=("[^"]*"|'[^']*'|[^\]]*))?\]""")


def _literal(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    pieces = "', \"'\", '".join(value.split("'"))
    return f"concat('{pieces}')"


def _simple(selector: str, option: str) -> str:
    match = _SIMPLE.match(selector)
    if not selector or match is None:
        raise OptionsError(option, f"unsupported CSS selector part {selector!r}")
    tag = match.group("tag") or "*"
    tests: list[str] = []
    for part in _PART.finditer(match.group("rest")):
        text = part.group(0)
        if text.startswith("#"):
            tests.append(f"@id={_literal(text[1:])}")
        elif text.startswith("."):
            tests.append(
                "contains(concat(' ', normalize-space(@class), ' '), "
                f"{_literal(' ' + text[1:] + ' ')})"
            )
        elif part.group(2) is None:
            tests.append(f"@{part.group(1)}")
        else:
            value = part.group(2).strip(_QUOTES)
            tests.append(f"@{part.group(1)}={_literal(value)}")
    return tag + "".join(f"[{t}]" for t in tests)


def css_to_xpath(selector: str, option: str = "content_selector") -> str:
    """XPath for a selector in the supported subset; OptionsError naming ``option`` if not."""
    selector = selector.strip()
    if selector.startswith(("/", "(")):
        return selector
    alternatives: list[str] = []
    for alternative in selector.split(","):
        tokens = alternative.replace(">", " > ").split()
        if not tokens:
            raise OptionsError(option, f"empty alternative in {selector!r}")
        path, axis = "", "//"
        for token in tokens:
            if token == ">":
                if axis == "/" or not path:
                    raise OptionsError(option, f"misplaced '>' in {selector!r}")
                axis = "/"
                continue
            path += axis + _simple(token, option)
            axis = "//"
        if axis == "/":
            raise OptionsError(option, f"selector ends with '>': {selector!r}")
        alternatives.append(path)
    return " | ".join(alternatives)
