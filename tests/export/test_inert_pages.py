"""Exported pages (pure): a Content-Security-Policy that forbids scripts, and links only to
http(s) or inside the export, whatever the stored document says."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html

from syncd.export.pages import (
    CONTENT_SECURITY_POLICY,
    ArticleView,
    Attachment,
    Chrome,
    ListEntry,
    Pager,
    article_page,
    listing_page,
)

NOW = datetime(2026, 2, 1, tzinfo=UTC)
HOSTILE = "javascript:alert(document.cookie)"


def _links(html: str) -> list[str]:
    return [str(v) for v in lxml.html.fromstring(html).xpath("//@href | //@src")]


def _policy(html: str) -> str:
    (found,) = lxml.html.fromstring(html).xpath('//meta[@http-equiv="Content-Security-Policy"]')
    return str(found.get("content"))


def test_policy_forbids_scripts_plugins_and_frames() -> None:
    rules = dict(rule.strip().split(" ", 1) for rule in CONTENT_SECURITY_POLICY.split(";"))
    assert rules["script-src"] == "'none'" and rules["object-src"] == "'none'"
    assert rules["default-src"] == "'self'" and rules["base-uri"] == "'none'"


def test_an_article_page_links_only_where_it_may() -> None:
    view = ArticleView(
        title="Bài có nguồn độc",
        source_url=HOSTILE,
        published=NOW,
        updated=None,
        author=None,
        categories=[("Tin tức", "../categories/tin-tuc.html"), ("Độc", "JavaScript:x()")],
        body_html="<p>Nội dung</p>",
        attachments=[
            Attachment("tệp độc", " javascript:alert(2)", "document", missing=True),
            Attachment("báo cáo.pdf", "../media/abc.pdf", "document"),
            Attachment("gốc", "https://xa.example/a.pdf", "document", missing=True),
        ],
        revision_at=NOW,
        as_of=NOW,
    )
    html = article_page(Chrome("Xã", "../style.css", "../index.html", "../archive.html"), view)
    assert _policy(html) == CONTENT_SECURITY_POLICY
    links = _links(html)
    assert "../media/abc.pdf" in links and "https://xa.example/a.pdf" in links
    assert not [link for link in links if "javascript" in link.lower()]
    # the text is still there, just not as something to click
    text = lxml.html.fromstring(html).text_content()
    assert HOSTILE in text and "tệp độc" in text and "Độc" in text


def test_a_listing_page_drops_a_hostile_entry_link() -> None:
    entries = [
        ListEntry("Tin tốt", "articles/1-tin-tot.html", NOW, ""),
        ListEntry("Tin độc", "data:text/html,<script>x()</script>", NOW, ""),
    ]
    html = listing_page(Chrome("Xã", "style.css"), "Xã", entries, Pager(1, 1, None, None))
    assert _policy(html) == CONTENT_SECURITY_POLICY
    assert _links(html) == ["style.css", "articles/1-tin-tot.html"]
    assert "Tin độc" in lxml.html.fromstring(html).text_content()
