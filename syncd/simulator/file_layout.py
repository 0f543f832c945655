"""Where generated files sit: which article owns each, their paths, sizes and seeds."""

from __future__ import annotations

import random

from .content import ARTICLE_SPACING, EPOCH, Article
from .media import MediaFile, content_type_for


def place_files(seed: int, count: int, articles: int, salt: int) -> dict[int, list[int]]:
    """Which article each of `count` files belongs to: article id -> file indices."""
    owners: dict[int, list[int]] = {}
    rng = random.Random(seed * 7919 + salt)
    for index in range(count):
        owners.setdefault(rng.randrange(articles) + 1, []).append(index)
    return owners


def image_file(seed: int, portal_id: int, article_id: int, index: int, file_id: int) -> MediaFile:
    when = EPOCH + article_id * ARTICLE_SPACING
    path = f"/Portals/{portal_id}/Images/{when:%Y/%m}/anh-{article_id}-{index}.jpg"
    size = 2_000 + (seed * 31 + index * 997) % 30_000
    return MediaFile(file_id, path, "image/jpeg", when, seed * 100_003 + index, size)


def document_file(
    seed: int, portal_id: int, article_id: int, index: int, file_id: int
) -> MediaFile:
    when = EPOCH + article_id * ARTICLE_SPACING
    # Some names carry spaces, as uploads from office PCs do, so links need percent-encoding.
    name = f"QD-{index + 1}-UBND.pdf" if index % 3 != 2 else f"Ke hoach {index + 1}.doc"
    path = f"/Portals/{portal_id}/Documents/{when:%Y}/{name}"
    size = 3_000 + (seed * 17 + index * 1_231) % 60_000
    return MediaFile(
        file_id, path, content_type_for(path), when, seed * 200_003 + index, size
    )


def blog_thumbnail(seed: int, post: Article, file_id: int) -> MediaFile:
    path = post.image_paths[0]
    return MediaFile(
        file_id, path, "image/jpeg", post.published, seed * 300_007 + post.article_id, 4_000
    )
