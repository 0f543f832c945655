"""Property: any run of writes, edits and deletes leaves the history a simple model predicts."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.errors import NotFound
from syncd.store.store import Store

KEYS = ["a", "b", "c"]
BODIES = ["<p>một</p>", "<p>hai</p>", "<p>ba</p>", "<p>bốn</p>"]
ops = st.lists(
    st.tuples(st.sampled_from(["write", "delete"]), st.sampled_from(KEYS), st.sampled_from(BODIES)),
    max_size=25,
)
_sites = itertools.count()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sequence=ops)
async def test_history_matches_model(store: Store, sequence: list[tuple[str, str, str]]) -> None:
    site = f"prop-{next(_sites)}"
    await store.ensure_site(site, "u", "feed", "https://x.example")
    model: dict[str, list[str | None]] = {}
    for op, key, body in sequence:
        revs = model.get(key)
        if op == "write":
            await store.record(site, key, {"title": key, "body": body}, url=key)
            if revs is None or revs[-1] != body:
                model.setdefault(key, []).append(body)
        else:
            try:
                await store.tombstone(site, key)
            except NotFound:
                assert revs is None
                continue
            assert revs is not None
            if revs[-1] is not None:
                revs.append(None)
    for key, expected in model.items():
        item = await store.find_item(f"{site}:{key}")
        history = list(reversed(await store.history(item.id)))
        assert [r.seq for r in history] == list(range(1, len(expected) + 1))
        got: list[str | None] = []
        for rev in history:
            _, doc = await store.document(item.id, rev.seq)
            got.append(None if doc is None else doc["body"])
        assert got == expected
        assert item.deleted == (expected[-1] is None)
