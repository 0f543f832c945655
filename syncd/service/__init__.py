"""Integration with the service manager: sd_notify, the watchdog and log configuration."""

from syncd.service.logging import configure_logging
from syncd.service.notify import Notifier, watchdog_interval
from syncd.service.watchdog import Health, HealthCheck, Watchdog

__all__ = [
    "Health",
    "HealthCheck",
    "Notifier",
    "Watchdog",
    "configure_logging",
    "watchdog_interval",
]
