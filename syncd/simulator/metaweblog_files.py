"""What the DNN Blog does to a post's body and files when it saves one through MetaWeblog.

From the module's source (DNNCommunity/DNN.Blog, blogpost.ashx.vb), in our own words:

- newMediaObject keeps only the file's extension (checked against the host's whitelist),
  saves the bytes under a new GUID name in the blog's temporary folder
  ``/Portals/{portal}/Blog/Files/{blog}/_temp_images/`` and answers that site-relative URL.
- Saving a post (newPost or editPost) moves every temporary file the body names into the
  post's own folder ``Blog/Files/{blog}/{post}/``, rewrites ``.../_temp_images/`` to that
  folder in the body, and deletes the files of the post's folder the body no longer names.
- When the body starts with an image (nothing but tags and blanks before it), that image is
  cut out of the body (with the elements that wrap only it) and becomes the post's main
  image.
"""

from __future__ import annotations

import re
import uuid

from .media import MediaFile, content_type_for
from .state import SiteState

# The extensions a default DNN host allows (Host Settings > Allowable File Extensions).
ALLOWED_EXTENSIONS = frozenset(
    {
        "jpg", "jpeg", "jpe", "gif", "png", "bmp", "svg", "ico", "pdf", "doc", "docx", "xls",
        "xlsx", "ppt", "pptx", "txt", "csv", "zip", "rar", "mp3", "mp4", "avi", "wmv", "swf",
        "xml", "css", "htm", "html", "rtf", "odt", "ods",
    }
)  # fmt: skip
BLOG_ID = 1

_FIRST_IMAGE = re.compile(r"<img\s[^>]*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_OPENING = re.compile(r"<(\w+)[^>]*>")


def temp_folder(portal_id: int) -> str:
    return f"/Portals/{portal_id}/Blog/Files/{BLOG_ID}/_temp_images/"


def post_folder(portal_id: int, post_id: int) -> str:
    return f"/Portals/{portal_id}/Blog/Files/{BLOG_ID}/{post_id}/"


def save_upload(state: SiteState, name: str, kind: str, data: bytes) -> str | None:
    """Store an uploaded file the way newMediaObject does; None when its type is refused."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    extension = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    if extension not in ALLOWED_EXTENSIONS:
        return None
    file_id = state.media.next_id()
    guid = uuid.uuid5(uuid.NAMESPACE_URL, f"{state.config.seed}:{state.config.name}:{file_id}")
    path = f"{temp_folder(state.config.portal_id)}{guid}.{extension}"
    content_type = kind or content_type_for(path)
    state.media.add(MediaFile(file_id, path, content_type, state.stamp(), 0, len(data), data))
    return path


def attach_files(state: SiteState, post_id: int, body: str) -> str:
    """Move the temporary files ``body`` names into the post's folder, drop the folder's
    files it no longer names, and return the body pointing at the moved files."""
    temp = temp_folder(state.config.portal_id)
    folder = post_folder(state.config.portal_id, post_id)
    for media in state.media.all():
        name = media.path.rsplit("/", 1)[-1]
        if media.path.startswith(folder) and name not in body:
            state.media.remove(media.path)
        elif media.path.startswith(temp) and name in body:
            state.media.remove(media.path)
            moved = MediaFile(media.file_id, folder + name, media.content_type, media.modified,
                              media.seed, media.size, media.uploaded)  # fmt: skip
            state.media.add(moved)
    return body.replace(f"Blog/Files/{BLOG_ID}/_temp_images/", f"Blog/Files/{BLOG_ID}/{post_id}/")


def take_main_image(body: str) -> tuple[str, str | None]:
    """The body without a leading image, and that image's URL (None when the body does not
    start with one)."""
    found = _FIRST_IMAGE.search(body)
    if found is None or re.sub(r"\s", "", _TAG.sub("", body[: found.start()])):
        return body, None
    src = re.search(r"""src\s*=\s*["']([^"']+)["']""", found.group(0), re.IGNORECASE)
    if src is None:
        return body, None
    before, after = body[: found.start()], body[found.end() :]
    for opening in reversed(list(_OPENING.finditer(before))):
        closing = f"</{opening.group(1)}>"
        if after.lstrip().lower().startswith(closing.lower()):
            before = before[: opening.start()] + before[opening.end() :]
            after = after.lstrip()[len(closing) :]
    return (before + after).strip(), src.group(1)
