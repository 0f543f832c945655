"""Errors a caller of the simulator can cause (bad configuration, unknown ids)."""

from __future__ import annotations


class SimulatorError(Exception):
    """Base of every simulator error; the message is one line naming what is wrong."""


class SimConfigError(SimulatorError):
    """A site or network was configured with an impossible value."""


class UnknownArticle(SimulatorError):
    """No article (or blog post) with this id exists on the site."""

    def __init__(self, article_id: int) -> None:
        self.article_id = article_id
        super().__init__(f"no article with id {article_id}")


class SiteNotRunning(SimulatorError):
    """The site's HTTP server has not been started (or was stopped)."""
