"""Writes revisions forever; the crash test kills it with SIGKILL at random moments."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
from pathlib import Path

from syncd.errors import NotFound
from syncd.store.blobs import LocalBlobStore
from syncd.store.db import create_engine
from syncd.store.store import Store


async def main(url: str, blob_dir: str, seed: int) -> None:
    rng = random.Random(seed)
    store = Store(create_engine(url), LocalBlobStore(Path(blob_dir)))
    await store.ensure_site("s", "u", "feed", "https://x.example")
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        key = f"k{rng.randrange(40)}"
        if rng.random() < 0.15:
            with contextlib.suppress(NotFound):
                await store.tombstone("s", key)
            continue
        image = rng.randbytes(rng.randrange(1000, 50000))
        sha = await store.put_blob(image, "image/jpeg")
        await store.record(
            "s",
            key,
            {"title": key, "body": f"<p>{seed}-{n}</p>", "media": [sha]},
            url=key,
            media=[sha],
        )
        print("w", flush=True)  # the test kills only after some writes have landed


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
