"""Small helpers shared by the backup-repository tests (deterministic content, quick keys)."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from backups.crypto import ScryptParams
from backups.repository import Repository
from backups.targets.base import Target
from backups.targets.local import LocalTarget

# Cheap scrypt for tests: the format is the same, only the work factor differs.
FAST_SCRYPT = ScryptParams(n=2**10, r=8, p=1)
PASSPHRASE = "correct horse battery staple"
SMALL_PACK = 64 * 1024

_TEXT = (
    "Ủy ban nhân dân huyện thông báo về việc triển khai kế hoạch phát triển kinh tế xã hội "
    "năm trên địa bàn các xã thị trấn đồng chí chủ tịch phó bí thư đảng ủy hội nghị tổng kết"
)
_WORDS = _TEXT.split()


def oid(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def page(seed: int, words: int = 400) -> bytes:
    rnd = random.Random(seed)
    body = " ".join(rnd.choice(_WORDS) for _ in range(words))
    return (
        "<html><head><title>Cổng thông tin điện tử</title></head><body>"
        f"<nav>Trang chủ | Tin tức | Văn bản</nav><article id='{seed}'><p>{body}</p>"
        "</article><footer>Bản quyền thuộc UBND tỉnh</footer></body></html>"
    ).encode()


def jpeg(seed: int, size: int = 30_000) -> bytes:
    return b"\xff\xd8\xff\xe0" + random.Random(seed).randbytes(size)


def local(path: Path) -> LocalTarget:
    return LocalTarget(path)


async def new_repo(target: Target, pack_size: int = SMALL_PACK) -> Repository:
    return await Repository.init(target, PASSPHRASE, pack_size=pack_size, scrypt=FAST_SCRYPT)


async def add_all(repo: Repository, blobs: list[bytes], type_: str = "page") -> list[str]:
    ids = []
    for data in blobs:
        await repo.add(oid(data), data, type_)
        ids.append(oid(data))
    return ids
