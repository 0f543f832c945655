"""HTML pages in the shape a DNN 9 skin with an EasyDNNnews-like module produces.

The article body is written verbatim between `<div class="edn_article_content Normal">` and
its closing tag, so the exact bytes of Article.body_html can be recovered from the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .config import SiteConfig
from .content import Article

MENU: tuple[tuple[str, str], ...] = (
    ("Trang chủ", "/"),
    ("Giới thiệu", "/gioi-thieu"),
    ("Tin tức", "/tin-tuc"),
    ("Văn bản", "/van-ban"),
    ("Liên hệ", "/lien-he"),
)


def _head(config: SiteConfig, title: str, description: str, canonical: str, extra: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="vi-VN">\n<head id="Head">'
        '<meta content="text/html; charset=UTF-8" http-equiv="Content-Type" />\n'
        f"<title>\n\t{escape(title)}\n</title>"
        f'<meta id="MetaDescription" name="DESCRIPTION" content="{escape(description)}" />'
        '<meta id="MetaGenerator" name="GENERATOR" content="DotNetNuke " />'
        '<meta id="MetaRobots" name="ROBOTS" content="INDEX, FOLLOW" />\n'
        f'<link rel="canonical" href="{escape(canonical)}"/>\n{extra}'
        '<link href="/Resources/Shared/stylesheets/dnndefault/7.0.0/default.css?cdv=212" '
        'type="text/css" rel="stylesheet"/>'
        f'<link href="/Portals/_default/skins/xcillion/skin.css?cdv=212" type="text/css" '
        'rel="stylesheet"/>'
        '<script src="/Resources/libraries/jQuery/03_05_01/jquery.js?cdv=212" '
        'type="text/javascript"></script>\n'
        "</head>\n"
        '<body id="Body">\n'
        f'<form method="post" action="{escape(canonical)}" id="Form" '
        'enctype="multipart/form-data">\n'
        '<div class="aspNetHidden"><input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" '
        f'value="/wEPDwUKLTY{config.seed:06d}ZGQ=" /></div>\n'
    )


def _menu(active: str) -> str:
    items = "".join(
        f'<li class="item{" selected" if href == active else ""}"><a href="{href}">'
        f"{escape(label)}</a></li>"
        for label, href in MENU
    )
    return f'<nav class="navbar"><ul class="nav navbar-nav topLevel">{items}</ul></nav>\n'


def _header(config: SiteConfig, active: str) -> str:
    return (
        '<div id="siteWrapper">\n<div id="dnn_HeaderPane" class="headerPane">'
        f'<a id="dnn_dnnLOGO_hypLogo" title="{escape(config.name)}" href="/">'
        f'<img id="dnn_dnnLOGO_imgLogo" src="/Portals/{config.portal_id}/logo.png" '
        f'alt="{escape(config.name)}" /></a></div>\n' + _menu(active)
    )


def _footer(config: SiteConfig) -> str:
    return (
        '<footer><div id="dnn_FooterPane" class="footerPane">'
        '<div class="DnnModule DnnModule-DNN_HTML DnnModule-380"><a name="380"></a>'
        '<div id="dnn_ctr380_ContentPane"><div id="dnn_ctr380_ModuleContent" '
        'class="DNNModuleContent ModDNNHTMLC"><div id="dnn_ctr380_HtmlModule_lblContent" '
        f'class="Normal"><p>Cơ quan chủ quản: {escape(config.name)}</p>'
        "<p>Ghi rõ nguồn khi phát hành lại thông tin từ cổng thông tin này.</p>"
        "</div></div></div></div></div>"
        f'<span id="dnn_dnnCopyright_lblCopyright" class="SkinObject">Copyright 2025 by '
        f"{escape(config.name)}</span></footer>\n</div>\n</form>\n</body>\n</html>\n"
    )


def _module(module_id: int, kind: str, inner: str) -> str:
    return (
        f'<div class="DnnModule DnnModule-{kind} DnnModule-{module_id}">'
        f'<a name="{module_id}"></a>\n<div class="eds_containers_Xcillion">'
        f'<div id="dnn_ctr{module_id}_ContentPane">\n'
        f'<div id="dnn_ctr{module_id}_ModuleContent" class="DNNModuleContent Mod{kind}C">\n'
        f"{inner}</div></div></div></div>\n"
    )


def _link_list(base_url: str, articles: Sequence[Article], css: str) -> str:
    items = "".join(
        f'<li><a href="{escape(base_url + a.path)}">{escape(a.title)}</a></li>\n'
        for a in articles
    )
    return f'<ul class="{css}">\n{items}</ul>\n'


def render_article_page(
    config: SiteConfig, base_url: str, article: Article, related: Sequence[Article]
) -> str:
    canonical = base_url + article.path
    images = [base_url + p for p in article.image_paths[:1]]
    og = f'<meta property="og:title" content="{escape(article.title)}" />'
    if images:
        og += f'<meta property="og:image" content="{escape(images[0])}" />'
    module_id = config.blog_module_id if article.kind == "blog" else config.news_module_id
    kind = "Blog" if article.kind == "blog" else "EasyDNNnews"
    details = (
        f'<div class="eds_news_module_{module_id} news eds_template_Details_Article_Default">\n'
        '<div class="edn_article edn_clearFix">\n'
        f'<h1 class="edn_articleTitle">{escape(article.title)}</h1>\n'
        '<div class="edn_metaDetails">'
        f'<time datetime="{article.published.isoformat()}">'
        f"{article.published:%d/%m/%Y %H:%M}</time> "
        f'<span class="edn_articleCategory">{escape(article.category)}</span> '
        f'<span class="edn_author">{escape(article.author)}</span></div>\n'
        f'<div class="edn_articleSummary">{escape(article.summary)}</div>\n'
        f'<div class="edn_article_content Normal">{article.body_html}</div>\n'
        "</div></div>\n"
    )
    related_html = '<h2 class="edn_relatedTitle">Tin liên quan</h2>\n' + _link_list(
        base_url, related, "edn_relatedArticles"
    )
    return (
        _head(config, f"{article.title} - {config.name}", article.summary, canonical, og)
        + _header(config, "/" + config.news_path)
        + '<div id="dnn_ContentPane" class="contentPane">\n'
        + _module(module_id, kind, details)
        + "</div>\n"
        + '<div id="dnn_RightPane" class="rightPane">\n'
        + _module(config.news_module_id + 1, "EasyDNNnews", related_html)
        + "</div>\n"
        + _footer(config)
    )


def render_listing_page(
    config: SiteConfig,
    base_url: str,
    title: str,
    active: str,
    articles: Sequence[Article],
    next_href: str | None,
) -> str:
    """Home or category page: newest articles linked, with a next-page link when more exist."""
    entries = "".join(
        '<div class="edn_article edn_clearFix">'
        f'<h2 class="edn_articleTitle"><a href="{escape(base_url + a.path)}">'
        f"{escape(a.title)}</a></h2>"
        f'<p class="edn_articleSummary">{escape(a.summary)}</p></div>\n'
        for a in articles
    )
    pager = (
        f'<div class="edn_pagination"><a class="next" href="{escape(next_href)}">Trang sau</a>'
        "</div>\n"
        if next_href
        else ""
    )
    inner = f'<div class="eds_news_module_{config.news_module_id} news">\n{entries}{pager}</div>\n'
    return (
        _head(config, f"{title} - {config.name}", config.name, base_url + active, "")
        + _header(config, active)
        + '<div id="dnn_ContentPane" class="contentPane">\n'
        + _module(config.news_module_id, "EasyDNNnews", inner)
        + "</div>\n"
        + _footer(config)
    )


def render_not_found(config: SiteConfig, base_url: str) -> str:
    inner = '<div class="Normal"><p>Không tìm thấy trang yêu cầu (404).</p></div>\n'
    return (
        _head(config, f"404 - {config.name}", config.name, base_url + "/", "")
        + _header(config, "/")
        + '<div id="dnn_ContentPane" class="contentPane">\n'
        + _module(371, "DNN_HTML", inner)
        + "</div>\n"
        + _footer(config)
    )
