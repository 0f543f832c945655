"""kill -9 of the daemon while it delivers, again and again: exactly one copy per article and
target in the end, and nothing left undelivered."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connectors.origin_marker import find_marker
from syncd.simulator import SimulatedSite
from syncd.store import schema as t
from syncd.store.db import create_engine

ARTICLES = 60
CYCLES = 20


def _config(tmp_path: Path, d: SimulatedSite, targets: dict[str, SimulatedSite]) -> Path:
    text = (
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\nlisten = "127.0.0.1:0"\n'
        '[syndication]\nlease = "1s"\nretry_base = "1s"\nretry_max = "2s"\n'
        '[[units]]\nkey = "kr"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n'
        f'[[sites]]\nkey = "d"\nunit = "kr"\nkind = "dnn"\nbase_url = "{d.base_url}"\n'
        "local = true\n"
    )
    for key, site in targets.items():
        text += (
            f'[[units]]\nkey = "u-{key}"\nname = "Xã {key}"\nlevel = "commune"\nparent = "kr"\n'
            f'[[sites]]\nkey = "{key}"\nunit = "u-{key}"\nkind = "dnn"\n'
            f'base_url = "{site.base_url}"\nlocal = true\n'
            f'publish = {{ kind = "metaweblog", endpoint = "{site.metaweblog_url}", '
            'username = "editor", password = { env = "SYNCD_TEST_BLOG_PASSWORD" } }\n'
        )
    text += (
        '[[routes]]\nkey = "down"\nfrom_sites = ["d"]\nto = { relation = "children" }\n'
        'publish_as = "published"\n'
    )
    path = tmp_path / "syncd.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def _burst(
    config: Path, kill_when: Callable[[], bool] | None, *command: str
) -> int | None:
    """Run syncd; with `kill_when`, SIGKILL it the moment that becomes true (polled every
    few milliseconds while the process runs)."""
    env = dict(os.environ, SYNCD_TEST_BLOG_PASSWORD="editor-password")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncd", *(command or ("run", "--burst")), "--config", str(config),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    if kill_when is None:
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()[-2000:]
        return proc.returncode
    while proc.returncode is None and not kill_when():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), timeout=0.005)
    if proc.returncode is None:
        proc.kill()  # SIGKILL: no cleanup of any kind
    await proc.wait()
    return proc.returncode


async def _open_deliveries(state: Path) -> int:
    engine = create_engine(f"sqlite+aiosqlite:///{state / 'syncd.db'}")
    try:
        async with engine.connect() as conn:
            query = select(func.count()).where(t.deliveries.c.state.in_(["pending", "dead"]))
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


def _posts(targets: dict[str, SimulatedSite]) -> int:
    return sum(len(s.blog_posts(include_drafts=True)) for s in targets.values())


@pytest.mark.slow
async def test_kill_9_while_delivering_leaves_exactly_one_copy(tmp_path: Path) -> None:
    rng = random.Random(2026)
    async with (
        SimulatedSite(seed=61, articles=ARTICLES, images=3, documents=1, blog_posts=0) as d,
        SimulatedSite(seed=62, articles=0, images=0, documents=0, blog_posts=0) as c1,
        SimulatedSite(seed=63, articles=0, images=0, documents=0, blog_posts=0) as c2,
    ):
        targets = {"c1": c1, "c2": c2}
        config = _config(tmp_path, d, targets)
        # a mirror pass fills the outbox; then daemons delivering it are killed at random
        await _burst(config, None, "sync", "d")
        assert await _open_deliveries(tmp_path / "state") == 2 * ARTICLES
        mid_way = 0
        for _ in range(CYCLES):
            # killed once a few more posts have landed: in the middle of delivering
            goal = _posts(targets) + rng.randint(1, 5)
            code = await _burst(config, lambda goal=goal: _posts(targets) >= goal)
            open_ = await _open_deliveries(tmp_path / "state")
            mid_way += code == -9 and open_ > 0
        assert mid_way >= CYCLES // 2, "too few runs were killed mid-delivery to prove anything"
        for _ in range(10):  # then to the end, leases of killed runs lapsing meanwhile
            await asyncio.sleep(1.2)
            await _burst(config, None)
            if await _open_deliveries(tmp_path / "state") == 0:
                break
        assert await _open_deliveries(tmp_path / "state") == 0

        titles = sorted(a.title for a in d.articles())
        for site in targets.values():
            posts = site.blog_posts(include_drafts=True)
            origins = [find_marker(p.body_html) for p in posts]
            assert all(o is not None for o in origins)
            assert len({o.origin for o in origins if o}) == len(posts) == ARTICLES
            assert sorted(p.title for p in posts) == titles
            assert all(p.is_published for p in posts)
