"""The site's mutable content: generated entries, edits, additions, deletions and files."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta

from .content import Article
from .errors import UnknownArticle
from .media import MediaFile
from .phrases import slugify


class EntryCollection:
    """Articles of one module, generated on first access and overridden by mutations."""

    def __init__(self, generated: int, generate: Callable[[int], Article]) -> None:
        self._generated = generated
        self._generate = generate
        self._cache: dict[int, Article] = {}
        self._overrides: dict[int, Article] = {}
        self._deleted: set[int] = set()
        self._next_id = generated + 1

    def get(self, article_id: int) -> Article:
        """The live article, including unpublished drafts; raises UnknownArticle."""
        found = self.find(article_id)
        if found is None:
            raise UnknownArticle(article_id)
        return found

    def find(self, article_id: int) -> Article | None:
        if article_id in self._deleted:
            return None
        if article_id in self._overrides:
            return self._overrides[article_id]
        if not 1 <= article_id <= self._generated:
            return None
        cached = self._cache.get(article_id)
        if cached is None:
            cached = self._cache[article_id] = self._generate(article_id)
        return cached

    def ids(self) -> list[int]:
        live = [i for i in range(1, self._generated + 1) if i not in self._deleted]
        extra = [i for i in self._overrides if i > self._generated and i not in self._deleted]
        return live + sorted(extra)

    def all(self, include_drafts: bool = False) -> list[Article]:
        """Every live article in id order."""
        out = [self.get(i) for i in self.ids()]
        return out if include_drafts else [a for a in out if a.is_published]

    def newest(self, count: int) -> list[Article]:
        """Published articles, newest publish date first (ties: higher id first).

        Generated publish dates grow with the id (jitter stays below the spacing), so only
        the top `count` generated ids need generating, plus every added or edited article.
        """
        candidates = [a for a in self._overrides.values() if a.article_id not in self._deleted]
        taken = 0
        for article_id in range(self._generated, 0, -1):
            if taken >= count:
                break
            if article_id in self._deleted or article_id in self._overrides:
                continue
            article = self.get(article_id)
            candidates.append(article)
            taken += article.is_published
        published = [a for a in candidates if a.is_published]
        published.sort(key=lambda a: (a.published, a.article_id), reverse=True)
        return published[:count]

    def next_id(self) -> int:
        return self._next_id

    def put(self, article: Article) -> Article:
        self._overrides[article.article_id] = article
        self._next_id = max(self._next_id, article.article_id + 1)
        return article

    def delete(self, article_id: int) -> Article:
        article = self.get(article_id)
        self._deleted.add(article_id)
        return article


def edited(
    article: Article,
    when: datetime,
    title: str | None,
    body_html: str | None,
    summary: str | None,
    path_for: Callable[[int, str], str],
) -> Article:
    """A copy of `article` with the given changes and `modified` set to `when`."""
    changes: dict[str, object] = {"modified": when}
    if title is not None:
        slug = slugify(title)
        changes.update(title=title, slug=slug, path=path_for(article.article_id, slug))
    if body_html is not None:
        changes["body"] = body_html
    if summary is not None:
        changes["summary"] = summary
    return dataclasses.replace(article, **changes)  # type: ignore[arg-type]


class MediaLibrary:
    """Files by decoded path, plus DNN's numeric file ids for LinkClick tickets."""

    def __init__(self) -> None:
        self._by_path: dict[str, MediaFile] = {}
        self._by_id: dict[int, MediaFile] = {}
        self._next_id = 1

    def next_id(self) -> int:
        return self._next_id

    def add(self, media: MediaFile) -> MediaFile:
        old = self._by_path.get(media.path)
        if old is not None:
            self._by_id.pop(old.file_id, None)
        self._by_path[media.path] = media
        self._by_id[media.file_id] = media
        self._next_id = max(self._next_id, media.file_id + 1)
        return media

    def remove(self, path: str) -> None:
        old = self._by_path.pop(path, None)
        if old is not None:
            self._by_id.pop(old.file_id, None)

    def by_path(self, path: str) -> MediaFile | None:
        found = self._by_path.get(path)
        if found is None:
            # IIS paths are case-insensitive.
            lowered = path.lower()
            found = next((m for p, m in self._by_path.items() if p.lower() == lowered), None)
        return found

    def by_id(self, file_id: int) -> MediaFile | None:
        return self._by_id.get(file_id)

    def all(self) -> list[MediaFile]:
        return sorted(self._by_path.values(), key=lambda m: m.file_id)


def later_than(previous: datetime, now: datetime) -> datetime:
    """`now` to the second, but strictly after `previous`, so If-Modified-Since sees each edit."""
    now = now.replace(microsecond=0)
    return now if now > previous else previous.replace(microsecond=0) + timedelta(seconds=1)
