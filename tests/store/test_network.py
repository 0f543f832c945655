"""The store keeps a copy of the unit tree, updated when the configuration changes."""

from __future__ import annotations

from sqlalchemy import select

from syncd.config import parse_config
from syncd.store import schema as t
from syncd.store.network import sync_units
from syncd.store.store import Store

TREE = """
[[units]]
key = "kon-tum"
name = "Tỉnh Kon Tum"
level = "province"
[[units]]
key = "kon-ray"
name = "Huyện Kon Rẫy"
level = "district"
parent = "kon-tum"
"""


async def test_units_follow_the_configuration(store: Store) -> None:
    await sync_units(store.engine, parse_config(TREE).units)
    merged = TREE.replace('level = "province"', 'level = "province"\ndissolved = true\n'
                          'successor = "quang-ngai"') + (
        '[[units]]\nkey = "quang-ngai"\nname = "Tỉnh Quảng Ngãi"\nlevel = "province"\n'
    )  # fmt: skip
    await sync_units(store.engine, parse_config(merged).units)
    async with store.engine.connect() as conn:
        rows = {r.key: r for r in (await conn.execute(select(t.units))).all()}
    assert set(rows) == {"kon-tum", "kon-ray", "quang-ngai"}
    assert rows["kon-tum"].dissolved and rows["kon-tum"].successor_key == "quang-ngai"
    assert rows["kon-ray"].parent_key == "kon-tum" and rows["kon-ray"].name == "Huyện Kon Rẫy"
