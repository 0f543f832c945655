"""`syncd run` (the service) and `syncd demo` (a simulated network, mirrored live)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from syncd.cli.common import config_option, read_config, run
from syncd.config import Config
from syncd.config.secret_checks import require_secrets

# The daemon (scheduler, web status page, metrics, the mirror) is imported by the commands
# that run it, so the other commands start without it.
if TYPE_CHECKING:
    from syncd.service import Watchdog


async def _serve(config: Config, burst: bool) -> None:
    from syncd.daemon import Daemon
    from syncd.service import Notifier, Watchdog, watchdog_interval

    daemon = Daemon(config)
    notifier = Notifier.from_env()
    watchdog: Watchdog | None = None
    await daemon.start(schedule=not burst)
    try:
        if burst:
            results = await daemon.run_burst()
            click.echo(f"burst: {len(results)} sites mirrored")
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        notifier.ready(f"mirroring {len(config.sites)} sites; status at {daemon.status_url}")
        interval = watchdog_interval()
        if interval is not None:
            # pings only while the store answers and the scheduler runs, so systemd restarts
            # a daemon that is alive but no longer doing its job
            watchdog = Watchdog(notifier, daemon.healthy, interval)
            watchdog.start()
        await stop.wait()
        notifier.stopping("stopping: finishing running passes")
    finally:
        if watchdog is not None:
            await watchdog.stop()
        await daemon.stop()
        notifier.close()


@click.command("run")
@config_option
@click.option("--burst", is_flag=True, help="Mirror every due site once, then exit.")
def run_daemon(config_file: Path | None, burst: bool) -> None:
    """Run the daemon in the foreground (what the systemd unit starts)."""
    from syncd.service import configure_logging

    config = read_config(config_file)
    require_secrets(config, [s.key for s in config.sites], daemon=True)
    configure_logging(config.daemon.log_format)
    run(_serve(config, burst))


@click.command("demo")
@click.option("--communes", default=8, show_default=True, help="Commune sites under the district.")
@click.option("--articles", default=60, show_default=True, help="Articles per simulated site.")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
@click.option(
    "--dir",
    "workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for the configuration and the store (default: a new temporary one).",
)
@click.option("--listen", default="127.0.0.1:0", show_default=True,
              help="host:port of the status page (port 0: any free port).")  # fmt: skip
def demo(communes: int, articles: int, duration: float | None, workdir: Path | None,
         listen: str) -> None:  # fmt: skip
    """Start a simulated network (a province, a district, its communes) and mirror it live."""
    from syncd.demo import run_demo

    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    try:
        run(run_demo(communes=communes, articles=articles, duration=duration, workdir=workdir,
                     listen=listen, say=click.echo))  # fmt: skip
    except KeyboardInterrupt:
        click.echo("demo stopped")
