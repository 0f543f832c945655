"""Opening the store from the configuration: SQLite by default, blobs in S3 when configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.config import parse_config
from syncd.errors import BlobCorrupt, ConfigError
from syncd.store.open import open_store, store_url
from tests.support.seaweed import SeaweedServer


async def test_blobs_in_s3_bucket(
    tmp_path: Path, seaweed: SeaweedServer, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("T_ACCESS", seaweed.access_key)
    (tmp_path / "secret").write_text(seaweed.secret_key)
    config = parse_config(
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nblob_target = "shared"\n'
        f'[[backup_targets]]\nkey = "shared"\nkind = "s3"\nendpoint = "{seaweed.endpoint_url}"\n'
        f'bucket = "{s3_bucket}"\nprefix = "store"\naccess_key = {{ env = "T_ACCESS" }}\n'
        f'secret_key = {{ file = "{tmp_path / "secret"}" }}\n'
    )
    assert store_url(config).startswith("sqlite+aiosqlite:///")
    store = await open_store(config)
    try:
        await store.ensure_site("s", "u", "feed", "https://x.example")
        image = b"\x89PNG" + bytes(range(256)) * 40
        sha = await store.put_blob(image, "image/png")
        recorded = await store.record(
            "s", "k", {"title": "Ảnh", "media": [sha]}, url="k", media=[sha]
        )
        assert recorded.changed
        assert await store.blobs.get(sha) == image
    finally:
        await store.close()
    keys = [o["Key"] for o in seaweed.client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert f"store/blobs/{sha[:2]}/{sha}.zst" in keys
    # a byte flipped in the bucket is caught on read, never returned
    key = f"store/blobs/{sha[:2]}/{sha}.zst"
    body = bytearray(seaweed.client.get_object(Bucket=s3_bucket, Key=key)["Body"].read())
    body[len(body) // 2] ^= 0xFF
    seaweed.client.put_object(Bucket=s3_bucket, Key=key, Body=bytes(body))
    store = await open_store(config)
    try:
        with pytest.raises(BlobCorrupt):
            await store.blobs.get(sha)
    finally:
        await store.close()


async def test_missing_secret_names_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOPE_KEY", raising=False)
    config = parse_config(
        f'[daemon]\nstate_dir = "{tmp_path}"\nblob_target = "shared"\n'
        '[[backup_targets]]\nkey = "shared"\nkind = "s3"\nendpoint = "http://127.0.0.1:1"\n'
        'bucket = "b"\naccess_key = { env = "NOPE_KEY" }\nsecret_key = { env = "NOPE_KEY" }\n'
    )
    with pytest.raises(
        ConfigError, match=r"backup_targets\[0\]\.access_key: .*NOPE_KEY is not set"
    ):
        await open_store(config)
