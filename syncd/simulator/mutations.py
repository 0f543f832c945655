"""Changes to a running site's news, shared by the Python API and the /__sim/ admin API."""

from __future__ import annotations

import dataclasses

from .content import Article, generated_body, news_path
from .phrases import slugify
from .state import SiteState
from .store import edited


def add_article(
    state: SiteState,
    title: str,
    body_html: str | None = None,
    summary: str | None = None,
    category: str = "Tin tức - Sự kiện",
    author: str = "Ban biên tập",
    published: bool = True,
) -> Article:
    when = state.stamp()
    article_id = state.news.next_id()
    recipe = generated_body(state.config.seed * 7_000_003 + article_id, (), (), title)
    slug = slugify(title) or f"bai-viet-{article_id}"
    article = Article(
        article_id=article_id,
        kind="news",
        title=title,
        slug=slug,
        path=news_path(state.config.news_path, article_id, slug),
        summary=summary if summary is not None else recipe.lead,
        body=body_html if body_html is not None else recipe,
        author=author,
        category=category,
        terms=(category,),
        published=when,
        modified=when,
        is_published=published,
    )
    return state.resolve(state.news.put(article))


def edit_article(
    state: SiteState,
    article_id: int,
    title: str | None = None,
    body_html: str | None = None,
    summary: str | None = None,
) -> Article:
    current = state.news.get(article_id)
    when = state.stamp()
    if title is None and body_html is None and summary is None:
        body_html = current.body_html + f"<p>Cập nhật lúc {when:%H:%M:%S %d/%m/%Y}.</p>\n"
    changed = edited(
        current,
        when,
        title,
        body_html,
        summary,
        lambda i, slug: news_path(state.config.news_path, i, slug),
    )
    return state.resolve(state.news.put(changed))


def set_published(state: SiteState, article_id: int, published: bool) -> Article:
    current = state.news.get(article_id)
    changed = dataclasses.replace(current, is_published=published, modified=state.stamp())
    return state.resolve(state.news.put(changed))


def delete_article(state: SiteState, article_id: int) -> Article:
    article = state.news.delete(article_id)
    state.stamp()
    return article


def touch(state: SiteState) -> None:
    state.touched_at = state.stamp()
    state.bump()
