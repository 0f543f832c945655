"""RSS/Atom parsing: DNN core RSS, Blog feed, Atom, windows-1258, NFD, broken XML."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest

from connectors.errors import ParseError
from connectors.feedparse import parse_feed
from connectors.text import encode_cp1258

TITLE = "Huyện Đắk Hà tổ chức hội nghị về phát triển nông nghiệp"

CORE_RSS = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Cổng thông tin điện tử</title>
<link>https://dakha.gov.vn/</link><description>Tin</description><language>vi-VN</language>
<item><title>{TITLE}</title>
<description>&lt;p&gt;Tóm tắt &amp;amp; nội dung&lt;/p&gt;</description>
<pubDate>Mon, 05 May 2025 02:30:00 GMT</pubDate>
<link>https://dakha.gov.vn/tin-tuc/ArticleId/12/hoi-nghi?utm_source=rss</link>
<guid>https://dakha.gov.vn/tin-tuc/ArticleId/12/hoi-nghi?utm_source=rss</guid></item>
</channel></rss>"""

BLOG_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel><title>Blog</title><link>https://x.gov.vn/blog</link>
<item><title>Bài viết</title><link>https://x.gov.vn/blog/PostId/3/bai-viet</link>
<guid isPermaLink="true">https://x.gov.vn/blog/PostId/3/bai-viet</guid>
<author>nguyen.van.a@x.gov.vn (Nguyễn Văn A)</author>
<category>Nông nghiệp</category><category>Kinh tế</category>
<description>Tóm tắt</description>
<content:encoded><![CDATA[<p>Nội dung <img src="/Portals/0/a.jpg"></p>]]></content:encoded>
<media:thumbnail url="https://x.gov.vn/Portals/0/thumb.png" width="100" height="80"/>
<enclosure url="https://x.gov.vn/Portals/0/baocao.pdf" type="application/pdf" length="10"/>
<pubDate>Tue, 06 May 2025 09:00:00 +0700</pubDate></item></channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>
<link href="https://a.gov.vn/"/><id>urn:feed</id><updated>2025-05-01T00:00:00Z</updated>
<entry><title>Mục một</title><id>tag:a.gov.vn,2025:1</id>
<link href="https://a.gov.vn/muc-1"/><updated>2025-05-02T10:00:00+07:00</updated>
<content type="html">&lt;p&gt;Đầy đủ&lt;/p&gt;</content><author><name>Trần B</name></author>
</entry></feed>"""


def test_core_rss() -> None:
    feed = parse_feed(CORE_RSS.encode())
    assert not feed.malformed
    assert feed.title == "Cổng thông tin điện tử"
    (entry,) = feed.entries
    assert entry.title == TITLE
    assert entry.key == "https://dakha.gov.vn/tin-tuc/ArticleId/12/hoi-nghi"  # tracking dropped
    assert entry.summary == "<p>Tóm tắt &amp; nội dung</p>"
    assert entry.content is None and entry.author is None and entry.categories == ()
    assert entry.published == datetime(2025, 5, 5, 2, 30, tzinfo=UTC)


def test_blog_feed_namespaces() -> None:
    (entry,) = parse_feed(BLOG_RSS.encode()).entries
    assert entry.content == '<p>Nội dung <img src="/Portals/0/a.jpg"></p>'
    assert entry.categories == ("Nông nghiệp", "Kinh tế")
    assert entry.author is not None and "Nguyễn Văn A" in entry.author
    assert entry.published == datetime(2025, 5, 6, 2, 0, tzinfo=UTC)
    kinds = {(m.url.rsplit("/", 1)[1], m.kind) for m in entry.media}
    assert kinds == {("thumb.png", "image"), ("baocao.pdf", "document")}


def test_atom() -> None:
    (entry,) = parse_feed(ATOM.encode()).entries
    assert entry.key == "tag:a.gov.vn,2025:1"
    assert entry.link == "https://a.gov.vn/muc-1"
    assert entry.content == "<p>Đầy đủ</p>"
    assert entry.author == "Trần B"
    assert entry.updated == datetime(2025, 5, 2, 3, 0, tzinfo=UTC)


def test_windows_1258_feed_declared_in_xml() -> None:
    data = CORE_RSS.replace('encoding="utf-8"', 'encoding="windows-1258"')
    feed = parse_feed(encode_cp1258(data))
    assert feed.entries[0].title == TITLE
    assert feed.title == "Cổng thông tin điện tử"


def test_windows_1258_feed_mislabelled_by_header() -> None:
    feed = parse_feed(encode_cp1258(CORE_RSS), charset="utf-8")
    assert feed.entries[0].title == TITLE


def test_nfd_feed_comes_out_nfc() -> None:
    feed = parse_feed(unicodedata.normalize("NFD", CORE_RSS).encode())
    assert feed.entries[0].title == TITLE
    assert feed.entries[0].summary == "<p>Tóm tắt &amp; nội dung</p>"


def test_malformed_xml_is_read_and_flagged() -> None:
    broken = CORE_RSS.replace(
        "</channel></rss>",
        "<item><title>A & B</title><link>https://dakha.gov.vn/b</link></item></channel>",
    )
    feed = parse_feed(broken.encode())
    assert feed.malformed
    assert [e.title for e in feed.entries] == [TITLE, "A & B"]


def test_html_error_page_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="not an RSS or Atom feed"):
        parse_feed(b"<html><body><h1>Server Error in '/' Application.</h1></body></html>")


def test_entries_without_guid_or_link_are_dropped() -> None:
    data = CORE_RSS.replace("</channel>", "<item><title>no identity</title></item></channel>")
    assert [e.title for e in parse_feed(data.encode()).entries] == [TITLE]
