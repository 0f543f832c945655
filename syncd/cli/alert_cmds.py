"""`syncd alerts show` and `syncd alerts test`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from syncd.cli.common import config_option, read_config, run, with_store
from syncd.errors import ConfigError, SyncdError


class NotDelivered(SyncdError):
    """A test notice did not reach every channel."""


@click.group("alerts")
def alerts_group() -> None:
    """Alerts to operators: what fires now, and whether the channels work."""


@alerts_group.command("show")
@config_option
def show(config_file: Path | None) -> None:
    """Evaluate the alert rules against the store now and print what fires."""
    from datetime import UTC, datetime

    from syncd.alerting.rules import evaluate
    from syncd.alerting.service import gather_facts, policy_of
    from syncd.store.health import watching_since

    config = read_config(config_file)

    async def action(store: Any) -> list[Any]:
        now = datetime.now(UTC)
        sites, targets = await gather_facts(config, store)
        since = await watching_since(store.engine) or now
        return list(evaluate(sites, targets, policy_of(config), now, since).values())

    firing = run(with_store(config, action))
    if not firing:
        click.echo("no alert fires")
    for alert in sorted(firing, key=lambda a: (a.severity, a.key)):
        click.echo(f"{alert.severity:<8} {alert.key:<32} {alert.summary}")


@alerts_group.command("test")
@config_option
def test(config_file: Path | None) -> None:
    """Send a test notice to every channel of `alerting.notify`; exit 1 if one fails."""
    from datetime import UTC, datetime

    from syncd.alerting import notify
    from syncd.alerting.rules import Alert
    from syncd.alerting.service import open_channels
    from syncd.alerting.tracker import Notice

    config = read_config(config_file)
    channels = open_channels(config)
    if not channels:
        raise ConfigError("alerting.notify", "no notification URL is configured")
    alert = Alert(
        "test", "syncd", "info", "a test notice from `syncd alerts test`: the channel works"
    )
    notice = Notice("firing", alert, datetime.now(UTC))
    failed = []
    for channel in channels:
        ok = run(notify.send(channel, notice))
        click.echo(f"{channel.label}: {'sent' if ok else 'FAILED'}")
        if not ok:
            failed.append(channel.label)
    if failed:
        raise NotDelivered(f"could not deliver to {', '.join(failed)}")
