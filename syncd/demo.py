"""`syncd demo`: a simulated network of DNN sites, a matching configuration, and the daemon
mirroring it live while the sites keep publishing."""

from __future__ import annotations

import asyncio
import json
import os
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

from syncd.config import load_config
from syncd.daemon import Daemon
from syncd.simulator import SimulatedNetwork, SimulatedSite, SiteConfig

DEMO_UNITS = [
    ("quang-ngai", "Tỉnh Quảng Ngãi", "province", None),
    ("kon-ray", "Huyện Kon Rẫy", "district", "quang-ngai"),
]
DEMO_PASSWORD_ENV = "SYNCD_DEMO_BLOG_PASSWORD"
COMMUNES = ["Đăk Ruồng", "Đăk Tờ Re", "Tân Lập", "Đăk Pne", "Đăk Kôi", "Đăk Tơ Lung",
            "Ngọk Tụ", "Đăk Rve", "Măng Bút", "Đăk Long"]  # fmt: skip


def _slug(index: int) -> str:
    return f"xa-{index + 1}"


def demo_units(communes: int) -> list[tuple[str, str, str, str | None]]:
    units = list(DEMO_UNITS)
    for i in range(communes):
        name = COMMUNES[i % len(COMMUNES)] + ("" if i < len(COMMUNES) else f" {i + 1}")
        units.append((_slug(i), f"Xã {name}", "commune", "kon-ray"))
    return units


def demo_config(units: list[tuple[str, str, str, str | None]], sites: list[SimulatedSite],
                state_dir: Path, listen: str) -> str:  # fmt: skip
    out = [
        "# Written by `syncd demo`: a simulated network on 127.0.0.1.\n",
        f'[daemon]\nstate_dir = "{state_dir}"\nlisten = "{listen}"\nconcurrency = 4\n',
    ]
    for key, name, level, parent in units:
        out.append(f'\n[[units]]\nkey = "{key}"\nname = "{name}"\nlevel = "{level}"\n')
        if parent:
            out.append(f'parent = "{parent}"\n')
    communes = [key for key, _, level, _ in units if level == "commune"]
    for (key, *_), site in zip(units, sites, strict=True):
        c = site.config
        out.append(
            f'\n[[sites]]\nkey = "{key}"\nunit = "{key}"\nkind = "dnn"\n'
            f'base_url = "{site.base_url}"\nschedule = "20s"\nlocal = true\n'
            f'options = {{ blog_modules = ["{c.blog_tab_id}:{c.blog_module_id}"] }}\n'
            f'publish = {{ kind = "metaweblog", endpoint = "{site.metaweblog_url}", '
            f'username = "editor", password = {{ env = "{DEMO_PASSWORD_ENV}" }}, '
            f'timezone = "Asia/Ho_Chi_Minh" }}\n'
        )
    # District news: pushed through MetaWeblog to half of the communes, offered to the other
    # half in an outgoing feed. Commune news: to the district after approval, then onwards to
    # the province (its copy at the district carries it).
    pushed, fed = communes[::2], communes[1::2]
    routes = [
        ("district-to-communes", ["kon-ray"], f"sites = {json.dumps(pushed)}", "push", False),
        ("district-to-communes-feed", ["kon-ray"], f"sites = {json.dumps(fed)}", "feed", False),
        ("communes-to-district", communes, 'relation = "parent"', "push", True),
        ("district-to-province", ["kon-ray"], 'relation = "parent"', "push", False),
    ]
    for key, sources, to, method, approval in routes:
        if to.endswith("[]") or not sources:
            continue
        out.append(
            f'\n[[routes]]\nkey = "{key}"\nfrom_sites = {json.dumps(sources)}\n'
            f'to = {{ {to} }}\nmethod = "{method}"\npublish_as = "published"\n'
            f"approval = {str(approval).lower()}\n"
        )
    return "".join(out)


async def _publish(
    network: SimulatedNetwork, rng: random.Random, say: Callable[[str], None]
) -> None:
    """Keep the simulated sites alive: a new article or an edit every few seconds."""
    while True:
        await asyncio.sleep(rng.uniform(3, 7))
        site = rng.choice(list(network))
        if rng.random() < 0.6:
            article = site.add_article(
                f"Tin mới: hoạt động tại {site.name} ({rng.randrange(1000)})"
            )
            say(f"  simulated: {site.name} published article {article.article_id}")
        else:
            article = rng.choice(site.articles())
            site.edit_article(article.article_id, body_html="<p>Bài viết đã được cập nhật.</p>")
            say(f"  simulated: {site.name} edited article {article.article_id}")


async def run_demo(
    *, communes: int, articles: int, duration: float | None, workdir: Path | None,
    listen: str, say: Callable[[str], None],
) -> None:  # fmt: skip
    units = demo_units(communes)
    configs = [
        SiteConfig(name=f"Cổng thông tin điện tử {name}", seed=i + 1, articles=articles,
                   images=max(2, articles // 8), documents=max(1, articles // 20))
        for i, (_, name, _, _) in enumerate(units)
    ]  # fmt: skip
    base = workdir or Path(tempfile.mkdtemp(prefix="syncd-demo-"))
    # the simulated sites' editor account, named in the configuration as a secret should be
    os.environ.setdefault(DEMO_PASSWORD_ENV, "editor-password")
    async with SimulatedNetwork(configs) as network:
        config_path = base / "syncd.toml"
        config_path.write_text(
            demo_config(units, list(network), base / "state", listen), encoding="utf-8"
        )
        daemon = Daemon(load_config(config_path), tick_seconds=2)
        await daemon.start()
        say(f"configuration: {config_path}")
        say(f"status page:   {daemon.status_url}")
        say(f"metrics:       {daemon.status_url}metrics")
        for (key, name, level, _), site in zip(units, network, strict=True):
            say(f"  {level:<9} {key:<11} {site.base_url}/  ({name})")
        say("mirroring; the simulated sites keep publishing. Ctrl-C stops.")
        publisher = asyncio.create_task(_publish(network, random.Random(7), say))
        try:
            if duration is None:
                await asyncio.Event().wait()
            else:
                await asyncio.sleep(duration)
        finally:
            publisher.cancel()
            await daemon.stop(grace=10)
            say(f"stopped; the mirror stays in {base / 'state'} "
                f"(try: syncd history --config {config_path} ITEM)")  # fmt: skip
