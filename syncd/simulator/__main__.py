"""`python -m syncd.simulator --sites N --articles M`: run simulated sites until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .network import SimulatedNetwork


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m syncd.simulator", description=__doc__)
    parser.add_argument("--sites", type=int, default=1, help="number of sites (default 1)")
    parser.add_argument("--articles", type=int, default=200, help="articles per site")
    parser.add_argument("--images", type=int, default=30, help="images per site")
    parser.add_argument("--documents", type=int, default=10, help="documents per site")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first site")
    parser.add_argument(
        "--sitemap-threshold", type=int, default=50_000, help="URLs before a sitemap index"
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds every response waits before it is sent, as a real site's rendering and "
        "network would (default 0: loopback speed)",
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    network = SimulatedNetwork.generate(
        args.sites,
        seed=args.seed,
        articles=args.articles,
        images=args.images,
        documents=args.documents,
        sitemap_threshold=args.sitemap_threshold,
    )
    async with network:
        if args.latency > 0:
            for site in network:
                site.add_fault("slow", delay=args.latency)
        for site in network:
            print(f"{site.base_url}  {site.name}  rss={site.rss_url}", flush=True)
        print("ready", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
