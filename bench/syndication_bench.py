"""Syndication benchmarks: delivery throughput against a bare asyncio loop, and propagation
time from a source site to every target, with and without update pings.

    .venv/bin/python -m bench.syndication_bench throughput --articles 500 --targets 8 \\
        --latency-ms 100
    .venv/bin/python -m bench.syndication_bench propagation --targets 8 --rounds 10
    .venv/bin/python -m bench.syndication_bench republish --articles 2000

throughput: the simulated network runs in a child process (so its CPU is not charged to
either side), every call answered after --latency-ms. syncd mirrors the source once (not
timed), then its delivery worker carries out articles x targets deliveries. The bare loop
then makes exactly the XML-RPC calls syncd made (the same methods, as many per delivery,
counted while syncd ran) to fresh target sites with the same concurrency per target, and
does nothing else. The ratio is bare time / syncd time (1.0: as fast as the bare loop).

propagation: the daemon runs with its scheduler (sources polled every --schedule); an
article is published on the source, and the time until it is on every target is measured,
once with a weblogUpdates.ping sent right after publishing (as WordPress does) and once
waiting for the poll.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from bench.mirror_sim import SimSite, simulator

PASSWORD_ENV = "SYNCD_BENCH_BLOG_PASSWORD"
BLOG = "/DesktopModules/Blog/BlogPost.ashx?portalid=0&tabid=60&moduleid=430"


def config_text(state: Path, source: SimSite, targets: list[SimSite], schedule: str) -> str:
    lines = [
        f'[daemon]\nstate_dir = "{state}"\nlisten = "127.0.0.1:0"\n',
        '[[units]]\nkey = "src"\nname = "Huyện Kon Rẫy"\nlevel = "district"\n',
        f'[[sites]]\nkey = "src"\nunit = "src"\nkind = "dnn"\nbase_url = "{source.base_url}"\n'
        f'local = true\nschedule = "{schedule}"\n',
    ]
    for i, site in enumerate(targets):
        lines.append(
            f'[[units]]\nkey = "t{i}"\nname = "Xã {i}"\nlevel = "commune"\nparent = "src"\n'
            f'[[sites]]\nkey = "t{i}"\nunit = "t{i}"\nkind = "dnn"\n'
            f'base_url = "{site.base_url}"\nlocal = true\nschedule = "6h"\n'
            f'publish = {{ kind = "metaweblog", endpoint = "{site.base_url}{BLOG}", '
            f'username = "editor", password = {{ env = "{PASSWORD_ENV}" }} }}\n'
        )
    names = ", ".join(f'"t{i}"' for i in range(len(targets)))
    lines.append(
        f'[[routes]]\nkey = "down"\nfrom_sites = ["src"]\nto = {{ sites = [{names}] }}\n'
        'publish_as = "published"\n'
    )
    return "".join(lines)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def syncd_deliveries(
    source: SimSite, targets: list[SimSite], per_target: int
) -> tuple[float, float, int, collections.Counter[str]]:
    """(wall s, CPU s, deliveries, XML-RPC calls by method) of syncd's worker."""
    from connectors.http import HttpClient
    from connectors.metaweblog_writer import MetaWeblogWriter
    from syncd.config import parse_config
    from syncd.mirror.runner import Mirror, http_policy
    from syncd.store.open import open_store
    from syncd.syndication.delivery import Deliverer, DeliveryPolicy
    from syncd.syndication.writers import Writers

    calls: collections.Counter[str] = collections.Counter()
    original = MetaWeblogWriter._call

    async def counted(self: MetaWeblogWriter, method: str, *params: Any) -> Any:
        calls[method] += 1
        return await original(self, method, *params)

    MetaWeblogWriter._call = counted  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory(prefix="syncd-synd-bench-") as tmp:
        config = parse_config(config_text(Path(tmp), source, targets, "6h"))
        store = await open_store(config)
        try:
            async with HttpClient(http_policy(config)) as http:
                mirror = Mirror(config, store, http)
                await mirror.register_sites()
                await mirror.run_site("src")
                names = {s.key: config.unit(s.unit).name for s in config.sites}
                deliverer = Deliverer(
                    store, Writers(config, http), owner="bench", source_names=names,
                    policy=DeliveryPolicy(per_target=per_target, batch=100_000),
                )  # fmt: skip
                cpu0, wall0 = cpu(), time.perf_counter()
                done = await deliverer.run_until_idle()
                wall, used = time.perf_counter() - wall0, cpu() - cpu0
        finally:
            await store.close()
            MetaWeblogWriter._call = original  # type: ignore[method-assign]
    assert done.dead == 0, done.errors
    return wall, used, done.done, calls


async def bare_deliveries(
    targets: list[SimSite], deliveries_per_target: int, per_call: dict[str, float],
    per_target: int,
) -> tuple[float, float]:  # fmt: skip
    """(wall s, CPU s) of a loop making the same calls per delivery, and nothing else."""
    sequence: list[str] = []
    for method, per_delivery in sorted(per_call.items()):
        sequence += [method] * round(per_delivery)

    def params(method: str, post_id: str) -> tuple[Any, ...]:
        post = {"title": "Tin", "description": "<p>Nội dung bài viết.</p>" * 40,
                "dateCreated": xmlrpc.client.DateTime(time.gmtime()), "categories": []}  # fmt: skip
        if method == "metaWeblog.newPost":
            return ("1", "editor", "editor-password", post, True)
        if method == "metaWeblog.editPost":
            return (post_id, "editor", "editor-password", post, True)
        if method == "metaWeblog.getPost":
            return (post_id, "editor", "editor-password")
        if method == "metaWeblog.newMediaObject":
            media = {"name": "a.jpg", "type": "image/jpeg", "bits": xmlrpc.client.Binary(b"x")}
            return ("1", "editor", "editor-password", media)
        return ("1", "editor", "editor-password", 10)

    async def one(http: aiohttp.ClientSession, url: str) -> None:
        post_id = "1"
        for method in sequence:
            body = xmlrpc.client.dumps(params(method, post_id), methodname=method)
            async with http.post(url, data=body.encode()) as response:
                answer = await response.read()
            if method == "metaWeblog.newPost":
                post_id = str(xmlrpc.client.loads(answer)[0][0])

    async def target(http: aiohttp.ClientSession, site: SimSite) -> None:
        queue = list(range(deliveries_per_target))

        async def worker() -> None:
            while queue:
                queue.pop()
                await one(http, site.base_url + BLOG)

        await asyncio.gather(*(worker() for _ in range(per_target)))

    cpu0, wall0 = cpu(), time.perf_counter()
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(target(http, s) for s in targets))
    return time.perf_counter() - wall0, cpu() - cpu0


async def throughput(args: argparse.Namespace) -> None:
    os.environ[PASSWORD_ENV] = "editor-password"
    latency = args.latency_ms / 1000
    # syncd's targets and the bare loop's are separate fresh sites of one simulated network
    sites = 1 + 2 * args.targets
    async with simulator("process", sites, args.articles, args.seed, latency) as network:
        source, mine, bare = network[0], network[1 : 1 + args.targets], network[1 + args.targets :]
        wall, used, done, calls = await syncd_deliveries(source, mine, args.per_target)
        per_call = {m: n / done for m, n in calls.items()}
        bare_wall, bare_cpu = await bare_deliveries(bare, done // args.targets, per_call,
                                                    args.per_target)  # fmt: skip
    print(f"deliveries: {done} ({args.articles} articles x {args.targets} targets), "
          f"latency {args.latency_ms:.0f} ms, {args.per_target} in flight per target")  # fmt: skip
    print("XML-RPC calls per delivery: "
          + ", ".join(f"{m} {v:.2f}" for m, v in sorted(per_call.items())))  # fmt: skip
    print(f"syncd: {wall:.2f} s, {done / wall:.1f} deliveries/s, "
          f"{1000 * used / done:.2f} ms CPU per delivery")  # fmt: skip
    print(f"bare:  {bare_wall:.2f} s, {done / bare_wall:.1f} deliveries/s, "
          f"{1000 * bare_cpu / done:.2f} ms CPU per delivery")  # fmt: skip
    print(f"ratio (bare time / syncd time): {bare_wall / wall:.2f}")


async def propagation(args: argparse.Namespace) -> None:
    from syncd.config import parse_config
    from syncd.daemon import Daemon
    from syncd.simulator import SimulatedSite

    os.environ[PASSWORD_ENV] = "editor-password"
    sites = [SimulatedSite(seed=args.seed + i, articles=5 if i == 0 else 0, images=0,
                           documents=0, blog_posts=0) for i in range(args.targets + 1)]  # fmt: skip
    for site in sites:
        await site.start()
    source, targets = sites[0], sites[1:]
    results: dict[str, list[float]] = {"ping": [], "poll": []}
    try:
        with tempfile.TemporaryDirectory(prefix="syncd-prop-bench-") as tmp:
            as_sim = [SimSite(s.base_url, s.name) for s in sites]
            config = parse_config(config_text(Path(tmp), as_sim[0], as_sim[1:], args.schedule))
            daemon = Daemon(config, tick_seconds=1)
            await daemon.start()
            try:
                await _settle(targets, 5)
                for mode in ("ping", "poll"):
                    for n in range(args.rounds):
                        title = f"Tin {mode} {n}"
                        published = time.perf_counter()
                        source.add_article(title)
                        if mode == "ping":
                            await _ping(daemon.status_url or "", source.base_url)
                        async with asyncio.timeout(120):
                            await _wait_everywhere(targets, title)
                        results[mode].append(time.perf_counter() - published)
            finally:
                await daemon.stop()
    finally:
        for site in sites:
            await site.stop()
    for mode, times in results.items():
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(f"{mode}: median {statistics.median(times):.2f} s, p95 {p95:.2f} s, "
              f"max {times[-1]:.2f} s over {len(times)} articles, {args.targets} targets, "
              f"schedule {args.schedule}")  # fmt: skip


async def _ping(status_url: str, site_url: str) -> None:
    body = xmlrpc.client.dumps(("source", site_url + "/"), "weblogUpdates.ping")
    async with aiohttp.ClientSession() as http, http.post(status_url + "RPC2", data=body) as r:
        await r.read()


def _has(title: str) -> Callable[[Any], bool]:
    return lambda site: any(p.title == title for p in site.blog_posts())


async def _wait_everywhere(targets: list[Any], title: str) -> None:
    # the simulated sites have no "post arrived" event to wait on: look every 20 ms
    while not all(_has(title)(t) for t in targets):  # noqa: ASYNC110
        await asyncio.sleep(0.02)


async def _settle(targets: list[Any], count: int) -> None:
    deadline = time.perf_counter() + 300
    while not all(len(t.blog_posts()) >= count for t in targets):
        if time.perf_counter() > deadline:
            raise TimeoutError("the initial articles did not reach every target")
        await asyncio.sleep(0.1)


def timed_run(argv: list[str]) -> tuple[int, float, float, str]:
    """(exit code, wall s, peak RSS MB, stdout) of a child process, from wait4. A plain child,
    not asyncio's (whose watcher would reap it first); the simulator runs in a process of its
    own, so nothing in this one needs the event loop meanwhile."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as captured:
        proc = subprocess.Popen(argv, stdout=captured)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        captured.seek(0)
        return proc.returncode, wall, usage.ru_maxrss / 1024, captured.read().decode()


async def republish(args: argparse.Namespace) -> None:
    """`syncd republish` of a mirrored site into an empty one, as a child process: its wall
    time and peak RSS (wait4), the store already holding the site."""
    from connectors.http import HttpClient
    from syncd.config import parse_config
    from syncd.mirror.runner import Mirror, http_policy
    from syncd.store.open import open_store

    os.environ[PASSWORD_ENV] = "editor-password"
    async with simulator("process", 2, args.articles, args.seed) as network:
        source, target = network
        with tempfile.TemporaryDirectory(prefix="syncd-republish-bench-") as tmp:
            text = config_text(Path(tmp), source, [target], "6h").split("[[routes]]")[0]
            config_path = Path(tmp) / "syncd.toml"
            config_path.write_text(text, encoding="utf-8")
            config = parse_config(text)
            store = await open_store(config)
            try:
                async with HttpClient(http_policy(config)) as http:
                    mirror = Mirror(config, store, http)
                    await mirror.register_sites()
                    mirrored = await mirror.run_site("src")
            finally:
                await store.close()
            for run in ("first", "again"):
                code, wall, rss_mb, out = timed_run(
                    [sys.executable, "-m", "syncd", "republish", "src", "--to", "t0",
                     "--config", str(config_path)]
                )  # fmt: skip
                print(f"{run}: exit {code}, {wall:.1f} s, peak RSS {rss_mb:.0f} MB; "
                      f"{out.strip().splitlines()[-1]}")
    print(f"source: {mirrored.listed} items listed, {mirrored.new} stored")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--articles", type=int, default=100)
    t.add_argument("--targets", type=int, default=4)
    t.add_argument("--latency-ms", type=float, default=100.0)
    t.add_argument("--per-target", type=int, default=4)
    t.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("propagation")
    p.add_argument("--targets", type=int, default=8)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--schedule", default="10s")
    p.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("republish")
    r.add_argument("--articles", type=int, default=2000)
    r.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    modes = {"throughput": throughput, "propagation": propagation, "republish": republish}
    asyncio.run(modes[args.mode](args))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
