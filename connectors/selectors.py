"""Per-site content selectors, compiled once: CSS through lxml's cssselect support, or XPath.

A selector starting with ``/`` or ``(`` is XPath as written (``//div[@id='x']``,
``(//article)[1]``); anything else is CSS 3 as cssselect reads it, with HTML rules (element
names match case-insensitively).
"""

from __future__ import annotations

from functools import lru_cache

from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector

from connectors.errors import OptionsError


@lru_cache(maxsize=512)
def compile_selector(selector: str, option: str = "content_selector") -> etree.XPath:
    """A callable that returns what ``selector`` matches under an element. Cached: extraction
    runs the same few selectors on every page. OptionsError naming ``option`` if invalid."""
    text = selector.strip()
    try:
        if text.startswith(("/", "(")):
            return etree.XPath(text)
        return CSSSelector(text, translator="html")
    except SelectorError as error:
        problem = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise OptionsError(option, f"invalid CSS selector {selector!r}: {problem}") from None
    except etree.XPathSyntaxError as error:
        raise OptionsError(option, f"invalid XPath {selector!r}: {error}") from None


def select(root: etree._Element, selector: str) -> list[etree._Element]:
    """The elements ``selector`` matches under ``root``, in document order. XPath may also
    yield strings, numbers, comments: only elements (whose tag is a name) are kept."""
    found = compile_selector(selector)(root)
    if not isinstance(found, list):
        return []
    return [n for n in found if isinstance(n, etree._Element) and isinstance(n.tag, str)]
