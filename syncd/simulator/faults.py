"""Which faults are switched on, and whether one strikes a given request.

A fault applies to requests whose path starts with one of its prefixes (all paths when none
are given), on every Nth such request and/or with a probability drawn from a seeded generator,
so a run with the same seed fails the same requests. The admin API under /__sim/ is never hit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum

from .errors import SimConfigError


class FaultKind(StrEnum):
    SLOW = "slow"  # wait `delay` seconds, then answer normally
    STALL_AFTER_HEADERS = "stall_after_headers"  # send headers, then hang `delay` seconds
    NO_RESPONSE = "no_response"  # accept the request and never answer (`delay` seconds)
    ERROR_500 = "error_500"
    ERROR_503 = "error_503"  # with Retry-After: `retry_after`
    ERROR_429 = "error_429"  # with Retry-After: `retry_after`
    TRUNCATED = "truncated"  # Content-Length larger than the bytes sent, then close
    MALFORMED_XML = "malformed_xml"  # XML bodies lose their end and gain a bare '&'
    CHARSET_MISLABELLED = "charset_mislabelled"  # header says utf-8, bytes are windows-1258
    CHARSET_MISSING = "charset_missing"  # no charset anywhere, bytes are windows-1258
    CP1258 = "cp1258"  # correctly labelled windows-1258
    NFD = "nfd"  # text decomposed to NFD (still UTF-8)
    REDIRECT_LOOP = "redirect_loop"  # 302 between two URLs forever
    HUGE_BODY = "huge_body"  # the real body followed by `huge_bytes` of padding, streamed
    CRASHED_EMPTY = "crashed_empty"  # every listing (feeds, sitemap) empty, status 200
    CRASHED_404 = "crashed_404"  # every page and file answers 404
    # MetaWeblog newPost stores the post, then answers a fault (as the DNN Blog does when its
    # file or term handling fails after the save)
    SAVE_THEN_FAULT = "save_then_fault"


@dataclass(frozen=True)
class Fault:
    """One switched-on fault. `every_nth=0` means every matching request is a candidate.

    `paths` are case-insensitive path prefixes ("/RSS.aspx", "/Portals/"); `delay` is the
    sleep of SLOW and the hang of STALL_AFTER_HEADERS / NO_RESPONSE; `retry_after` goes in
    the Retry-After header of 503 and 429; `huge_bytes` is HUGE_BODY's padding.
    """

    kind: FaultKind
    probability: float = 1.0
    every_nth: int = 0
    paths: tuple[str, ...] = ()
    delay: float | None = None
    retry_after: int = 1
    huge_bytes: int = 20 * 1024 * 1024

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise SimConfigError(f"fault probability must be in [0, 1] (got {self.probability})")
        if self.every_nth < 0:
            raise SimConfigError(f"every_nth must not be negative (got {self.every_nth})")
        if self.delay is not None and self.delay < 0:
            raise SimConfigError(f"fault delay must not be negative (got {self.delay})")

    @property
    def wait(self) -> float:
        """Seconds to sleep: `delay`, else 2 s for SLOW and an hour ("forever") for stalls."""
        if self.delay is not None:
            return self.delay
        return 2.0 if self.kind == FaultKind.SLOW else 3600.0

    def matches_path(self, path: str) -> bool:
        if not self.paths:
            return True
        lowered = path.lower()
        return any(lowered.startswith(prefix.lower()) for prefix in self.paths)


@dataclass
class _Active:
    fault: Fault
    rng: random.Random
    seen: int = 0


@dataclass
class FaultSet:
    """The site's switched-on faults; mutate with add/remove/clear while the site runs."""

    seed: int = 0
    _active: list[_Active] = field(default_factory=list)
    _added: int = 0
    hits: dict[FaultKind, int] = field(default_factory=dict)

    def add(self, fault: Fault) -> Fault:
        self._added += 1
        self._active.append(_Active(fault, random.Random(self.seed * 65_537 + self._added)))
        return fault

    def remove(self, kind: FaultKind) -> None:
        self._active = [a for a in self._active if a.fault.kind != kind]

    def clear(self) -> None:
        self._active.clear()

    def active(self) -> list[Fault]:
        return [a.fault for a in self._active]

    def strike(self, path: str) -> list[Fault]:
        """The faults that hit this request (advances counters and generators)."""
        if path.startswith("/__sim/"):
            return []
        hit: list[Fault] = []
        for active in self._active:
            fault = active.fault
            if not fault.matches_path(path):
                continue
            active.seen += 1
            if fault.every_nth and active.seen % fault.every_nth != 0:
                continue
            if fault.probability < 1.0 and active.rng.random() >= fault.probability:
                continue
            hit.append(fault)
            self.hits[fault.kind] = self.hits.get(fault.kind, 0) + 1
        return hit
