"""Seeded Vietnamese phrases: titles, sentences, names and URL slugs (pure functions)."""

from __future__ import annotations

import random
import unicodedata
from functools import lru_cache

from . import words


@lru_cache(maxsize=65_536)
def slugify(text: str) -> str:
    """ASCII slug the way DNN friendly URLs build them (diacritics dropped, đ -> d)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFD", text).encode("ascii", "ignore").decode()
    out: list[str] = []
    for ch in ascii_text.lower():
        if ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


class Picker:
    """Cheap seeded choices: one block of random bytes per item instead of a call per pick.

    Generation must stay cheap (a benchmark builds 40,000 articles in one process), and the
    small modulo bias of a byte is irrelevant for filler text.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._bytes = self._rng.randbytes(256)
        self._at = 0

    def byte(self) -> int:
        if self._at >= len(self._bytes):
            self._bytes = self._rng.randbytes(256)
            self._at = 0
        value = self._bytes[self._at]
        self._at += 1
        return value

    def choice(self, options: tuple[str, ...]) -> str:
        return options[self.byte() % len(options)]

    def randint(self, low: int, high: int) -> int:
        return low + self.byte() % (high - low + 1)

    def randrange(self, stop: int) -> int:
        return (self.byte() << 8 | self.byte()) % stop


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def make_title(rng: Picker) -> str:
    return title_and_slug(rng)[0]


def title_and_slug(rng: Picker) -> tuple[str, str]:
    """A title from four phrase slots; the slug joins the phrases' cached slugs."""
    parts = (
        rng.choice(words.SUBJECTS),
        rng.choice(words.ACTIONS),
        rng.choice(words.TOPICS),
        rng.choice(words.PLACES),
    )
    return " ".join(parts), "-".join(slugify(p) for p in parts)


@lru_cache(maxsize=1)
def _sentences() -> tuple[str, ...]:
    return tuple(
        f"{opener} {body}, {ending}"
        for opener in words.SENTENCE_OPENERS
        for body in words.SENTENCE_BODIES
        for ending in words.SENTENCE_ENDINGS
    )


def make_sentence(rng: Picker) -> str:
    sentences = _sentences()
    return sentences[rng.randrange(len(sentences))]


def make_author(rng: Picker) -> str:
    return " ".join(
        (rng.choice(words.SURNAMES), rng.choice(words.MIDDLE_NAMES), rng.choice(words.GIVEN_NAMES))
    )
