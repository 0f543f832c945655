"""One walk over a parsed page that answers the extractor's fixed selectors (pure).

Evaluating each built-in CSS selector with cssselect scans the whole page once per selector;
a DNN page took fifteen or more such scans. PageIndex walks the tree once, files the elements
that may match by tag, id and class, and answers the simple selectors extraction uses from
those lists: ``.cls``, ``#id``, ``tag``, and descendant chains of them (``.DnnModule
.Normal``). Results are the same elements, in document order, that cssselect's HTML
translator would give.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from lxml import etree
from lxml.etree import _Element as Element

# cssselect matches a class against normalize-space(@class): XPath whitespace only
_XPATH_SPACE_TO_SPACE = str.maketrans("\t\r\n", "   ")
_PART = re.compile(r"[.#]?[A-Za-z][\w-]*")


def _parts(selector: str) -> list[str]:
    parts = selector.split()
    if not parts or not all(_PART.fullmatch(part) for part in parts):
        raise ValueError(f"PageIndex cannot evaluate {selector!r}")
    return parts


def _classes(value: str) -> list[str]:
    return value.translate(_XPATH_SPACE_TO_SPACE).split(" ")


@lru_cache(maxsize=32)
def _wanted(selectors: frozenset[str]) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Tags, ids and classes that end one of ``selectors``: only those need indexing."""
    tags: set[str] = set()
    ids: set[str] = set()
    classes: set[str] = set()
    for selector in selectors:
        last = _parts(selector)[-1]
        {".": classes, "#": ids}.get(last[0], tags).add(last.lstrip(".#"))
    return frozenset(tags), frozenset(ids), frozenset(classes)


@lru_cache(maxsize=4096)
def _wanted_classes_of(wanted: frozenset[str], value: str) -> tuple[str, ...]:
    """The wanted classes a class attribute names. Cached: a site's pages repeat the same
    few class attributes (skin, panes, containers) on every page."""
    return tuple(wanted.intersection(_classes(value)))


def _matches(element: Element, simple: str) -> bool:
    if simple[0] == ".":
        value: str | None = element.get("class")
        return value is not None and simple[1:] in _classes(value)
    if simple[0] == "#":
        return bool(element.get("id") == simple[1:])
    return bool(element.tag == simple)


class PageIndex:
    """Elements of a page by tag, id and class: enough to answer ``selectors`` and
    ``first_attr`` for ``tags``. Call ``tree_changed`` after removing elements from the tree:
    later answers then leave out elements that are no longer in it."""

    def __init__(self, root: Element, selectors: Iterable[str], tags: Iterable[str] = ()) -> None:
        self.root = root
        self._by_tag: defaultdict[str, list[Element]] = defaultdict(list)
        self._by_id: defaultdict[str, list[Element]] = defaultdict(list)
        self._by_class: defaultdict[str, list[Element]] = defaultdict(list)
        self._check_attached = False
        self._selectors = frozenset(selectors)
        self._tags = frozenset(tags)
        wanted_tags, wanted_ids, wanted_classes = _wanted(self._selectors)
        wanted_tags |= self._tags
        for element in root.iter(etree.Element):  # elements only: no comments or PIs
            tag = element.tag
            if tag in wanted_tags:
                self._by_tag[tag].append(element)
            get = element.get
            ident = get("id")
            if ident is not None and ident in wanted_ids:
                self._by_id[ident].append(element)
            value = get("class")
            if value:
                for name in _wanted_classes_of(wanted_classes, value):
                    self._by_class[name].append(element)

    def tree_changed(self) -> None:
        self._check_attached = True

    def select(self, selector: str) -> list[Element]:
        """What a selector of ``.cls``, ``#id`` and ``tag`` parts joined by spaces (descendant
        combinators) matches, in document order. It must be one of the index's selectors."""
        if selector not in self._selectors:
            raise ValueError(f"{selector!r} is not one of this PageIndex's selectors")
        *outer, last = selector.split()
        if last[0] == ".":
            found: Iterable[Element] = self._by_class.get(last[1:], ())
        elif last[0] == "#":
            found = self._by_id.get(last[1:], ())
        else:
            found = self._by_tag.get(last, ())
        return [
            element
            for element in found
            if (not outer or _inside_chain(element, outer)) and self._present(element)
        ]

    def first_attr(self, tag: str, name: str, where: tuple[str, str] | None = None) -> str | None:
        """The first non-blank ``name`` attribute (stripped) of a ``tag`` element, among those
        whose attribute ``where[0]`` equals ``where[1]`` when given."""
        if tag not in self._tags:
            raise ValueError(f"{tag!r} is not one of this PageIndex's tags")
        for element in self._by_tag.get(tag, ()):
            if where is not None and element.get(where[0]) != where[1]:
                continue
            value = (element.get(name) or "").strip()
            if value and self._present(element):
                return value
        return None

    def _present(self, element: Element) -> bool:
        if not self._check_attached:
            return True
        top = element
        while (parent := top.getparent()) is not None:
            top = parent
        return top is self.root


def _inside_chain(element: Element, outer: list[str]) -> bool:
    """True when ancestors of ``element`` match ``outer`` (outermost first) in order: the
    nearest match for each part, innermost part first, is enough for descendant chains."""
    wanted = len(outer) - 1
    for ancestor in element.iterancestors():
        if _matches(ancestor, outer[wanted]):
            wanted -= 1
            if wanted < 0:
                return True
    return False
