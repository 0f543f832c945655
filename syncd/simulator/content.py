"""Deterministic Vietnamese content: articles, blog posts and their files, from a seed.

Every value is a pure function of (seed, id), so a site of 2,000 articles costs nothing until
a page or listing asks for it, and two sites with the same seed are identical byte for byte.
Articles are "heads" plus a body recipe; the body HTML is rendered only when read.
Bodies are stored with `BASE_URL_MARK` where an absolute link goes; the site substitutes its
base URL when it serves or reports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from html import escape
from typing import Literal
from urllib.parse import quote

from . import words
from .phrases import (
    Picker,
    capitalise,
    make_author,
    make_sentence,
    make_title,
    slugify,
    title_and_slug,
)

BASE_URL_MARK = "__SIM_BASE_URL__"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
ARTICLE_SPACING = timedelta(hours=6)

Kind = Literal["news", "blog"]


@dataclass(frozen=True)
class Article:
    """One news article or blog post as the site holds it (the ground truth).

    `path` is the canonical friendly URL path; `body_html` is exactly what the page shows
    inside its article container; `image_paths` and `document_paths` are the decoded
    /Portals/... paths of the files the body links to. `body` holds either the HTML or,
    for generated articles, the recipe it is rendered from on demand (so listings of
    thousands of articles never build their bodies).
    """

    article_id: int
    kind: Kind
    title: str
    slug: str
    path: str
    summary: str
    body: str | BodyRecipe
    author: str
    category: str
    terms: tuple[str, ...]
    published: datetime
    modified: datetime
    image_paths: tuple[str, ...] = ()
    document_paths: tuple[str, ...] = ()
    is_published: bool = True

    @property
    def body_html(self) -> str:
        return self.body if isinstance(self.body, str) else render_body(self.body)


@dataclass(frozen=True)
class BodyRecipe:
    """Everything a generated body is rendered from; `lead` is also the summary."""

    seed: int
    lead: str
    alt: str
    images: tuple[str, ...] = ()
    documents: tuple[tuple[str, str], ...] = ()


def file_url_path(path: str) -> str:
    """The percent-encoded form of a decoded site path, as links carry it."""
    return quote(path, safe="/")


def news_path(news_tab_path: str, article_id: int, slug: str) -> str:
    return f"/{news_tab_path}/ArticleId/{article_id}/{slug}"


def blog_path(post_id: int, slug: str) -> str:
    return f"/blog/Post/{post_id}/{slug}"


def image_html(path: str, alt: str, absolute: bool) -> str:
    src = (BASE_URL_MARK if absolute else "") + file_url_path(path)
    return (
        '<p style="text-align: center;"><img alt="' + escape(alt) + '" src="' + src + '" '
        'style="width: 600px;" /></p>\n'
    )


def document_html(path: str, href: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return (
        '<p><strong>Tài liệu đính kèm:</strong> <a href="' + escape(href) + '" target="_blank">'
        + escape(name)
        + "</a></p>\n"
    )


def generated_body(
    seed: int,
    images: tuple[str, ...],
    documents: tuple[tuple[str, str], ...],
    alt: str,
) -> BodyRecipe:
    """The recipe of a body; `documents` pairs each file path with its link href."""
    return BodyRecipe(seed, make_sentence(Picker(seed)), alt, images, documents)


@lru_cache(maxsize=1024)
def render_body(recipe: BodyRecipe) -> str:
    """A multi-paragraph HTML body opening with the lead sentence (cached: pages repeat)."""
    rng = Picker(recipe.seed * 31 + 7)
    paragraphs = [
        " ".join(make_sentence(rng) for _ in range(rng.randint(2, 4)))
        for _ in range(rng.randint(3, 6))
    ]
    paragraphs[0] = recipe.lead + " " + paragraphs[0]
    parts: list[str] = []
    for index, text in enumerate(paragraphs):
        parts.append("<p>" + escape(text, quote=False) + "</p>\n")
        if index == 0:
            # Alternate relative and absolute links: real editors paste both.
            for n, path in enumerate(recipe.images):
                parts.append(image_html(path, recipe.alt, absolute=n % 2 == 1))
    for path, href in recipe.documents:
        parts.append(document_html(path, href))
    return "".join(parts)


def generate_news(
    seed: int,
    article_id: int,
    news_tab_path: str,
    images: tuple[str, ...],
    documents: tuple[tuple[str, str], ...],
) -> Article:
    rng = Picker(seed * 1_000_003 + article_id)
    title, slug = title_and_slug(rng)
    published = EPOCH + article_id * ARTICLE_SPACING + timedelta(minutes=rng.randrange(300))
    body = generated_body(seed * 3_000_017 + article_id, images, documents, title)
    category = rng.choice(words.CATEGORIES)
    return Article(
        article_id=article_id,
        kind="news",
        title=title,
        slug=slug,
        path=news_path(news_tab_path, article_id, slug),
        summary=body.lead,
        body=body,
        author=make_author(rng),
        category=category,
        terms=(category,),
        published=published,
        modified=published,
        image_paths=images,
        document_paths=tuple(p for p, _ in documents),
    )


def generate_blog_post(seed: int, post_id: int, portal_id: int) -> Article:
    rng = Picker(seed * 2_000_003 + post_id)
    title = capitalise(rng.choice(words.TOPICS)) + ": " + make_title(rng)
    slug = slugify(title)
    published = EPOCH + post_id * timedelta(days=3) + timedelta(minutes=rng.randrange(600))
    thumb = f"/Portals/{portal_id}/Blog/Files/1/{post_id}/anh-dai-dien.jpg"
    body = generated_body(seed * 5_000_011 + post_id, (thumb,), (), title)
    terms = tuple(sorted({capitalise(rng.choice(words.TOPICS)) for _ in range(rng.randint(1, 2))}))
    return Article(
        article_id=post_id,
        kind="blog",
        title=title,
        slug=slug,
        path=blog_path(post_id, slug),
        summary=body.lead,
        body=body,
        author=make_author(rng),
        category=terms[0],
        terms=terms,
        published=published,
        modified=published,
        image_paths=(thumb,),
    )
