"""Small helpers shared by the backup-repository tests (deterministic content, quick keys)."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from backups.crypto import ScryptParams
from backups.repository import Repository
from backups.targets.base import Target
from backups.targets.local import LocalTarget
from backups.verify import Damage, VerifyReport

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


def beyond_a_crash(repo: Repository, report: VerifyReport) -> list[Damage]:
    """The problems a kill -9 of a writer cannot explain.

    A kill after a manifest's first copy, or before HEAD moved, leaves the newest manifest
    with one copy, or HEAD missing or one behind: reported (a stale HEAD cannot be told from
    a rolled-back one), used as the newest all the same, and set right by the next commit."""
    return [
        d
        for d in report.problems
        if not (d.kind == "head" and ("rolled back or stale" in d.reason or "missing" in d.reason))
        and not (d.kind == "snapshot" and d.name == repo.head and not d.lost)
    ]
