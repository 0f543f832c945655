"""SVG made inert (pure): only drawing elements and presentation attributes are kept.

An SVG file is a document: it may hold <script>, event handlers, <foreignObject> with HTML,
and references to other files, and it runs them when opened on its own (from a static export,
or replayed from a web archive). Keeping SVG as a download only would break the images that
articles show, so the mirror stores the cleaned drawing instead: an allow-list of SVG elements
and attributes, links only to fragments of the same file (#id), no styles (CSS can load URLs).
"""

from __future__ import annotations

from lxml import etree

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "symbol", "use", "path", "rect", "circle", "ellipse", "line",
        "polyline", "polygon", "text", "tspan", "textPath", "title", "desc", "linearGradient",
        "radialGradient", "stop", "clipPath", "mask", "pattern", "marker", "filter",
        "feGaussianBlur", "feOffset", "feBlend", "feColorMatrix", "feFlood", "feComposite",
        "feMerge", "feMergeNode",
    }
)  # fmt: skip
_ATTRIBUTES = frozenset(
    {
        "id", "class", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy",
        "width", "height", "d", "points", "viewBox", "preserveAspectRatio", "transform",
        "version", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width",
        "stroke-linecap", "stroke-linejoin", "stroke-dasharray", "stroke-dashoffset",
        "stroke-opacity", "stroke-miterlimit", "opacity", "clip-path", "clip-rule", "mask",
        "font-family", "font-size", "font-weight", "font-style", "text-anchor",
        "dominant-baseline", "letter-spacing", "offset", "stop-color", "stop-opacity",
        "gradientUnits", "gradientTransform", "spreadMethod", "patternUnits",
        "patternContentUnits", "patternTransform", "markerWidth", "markerHeight", "refX",
        "refY", "orient", "markerUnits", "marker-start", "marker-mid", "marker-end", "dx", "dy",
        "rotate", "textLength", "lengthAdjust", "visibility", "display", "color",
        "vector-effect", "clipPathUnits", "maskUnits", "maskContentUnits", "filter",
        "filterUnits", "stdDeviation", "in", "in2", "result", "mode", "values", "type",
        "operator", "k1", "k2", "k3", "k4", "flood-color", "flood-opacity", "href",
    }
)  # fmt: skip
_REFERENCES = frozenset({"href", _XLINK_HREF})


def _parser() -> etree.XMLParser:
    # no DTD, no entities, no network: billion laughs and XXE stay inert
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        remove_comments=True, remove_pis=True,
    )  # fmt: skip


def _local(element: etree._Element) -> str | None:
    if not isinstance(element.tag, str):
        return None  # comments, entities, processing instructions
    name = etree.QName(element)
    return name.localname if name.namespace in (None, _SVG_NS) else None


def _allowed_attribute(name: str, value: str) -> bool:
    if name in _REFERENCES:
        return value.strip().startswith("#")
    if name not in _ATTRIBUTES:
        return False
    # url(...) in a presentation attribute may only name a fragment of this file
    lowered = value.lower().replace(" ", "")
    return "url(" not in lowered or all(part.startswith("#") for part in lowered.split("url(")[1:])


def sanitize_svg(data: bytes) -> bytes | None:
    """The drawing in ``data`` without anything that runs or loads; None when ``data`` is not
    an SVG document at all."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError:
        return None
    if _local(root) != "svg":
        return None
    for element in list(root.iter()):
        if element is not root and _local(element) not in _ELEMENTS:
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)  # with its tail: text between shapes draws nothing
            continue
        for name, value in list(element.attrib.items()):
            if not _allowed_attribute(name, value):
                del element.attrib[name]
    cleaned: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return cleaned
