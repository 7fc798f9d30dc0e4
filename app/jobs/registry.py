"""What the runner knows how to do: a handler per job kind, and the scans it runs on every tick.

A handler does one job: `handler(context, job) -> result` (a dict kept on the job, e.g. the file of
a workbook); raising marks an attempt failed (retried later, see `queue.fail`). A scan looks at the
database at `now` and does what is due (closes windows at their deadline, enqueues the reminders):
`scan(session, context, now) -> count`; the runner commits after each scan. Both must be idempotent:
a scan that runs twice at the same moment changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.models import Job
from indicators import Catalogue


@dataclass
class JobContext:
    """What handlers and scans may use: settings, the engine (a handler opens its own sessions), the
    catalogue, the runner's name, and `progress` to report how far a long job has got."""

    settings: Settings
    engine: Engine
    catalogue: Catalogue
    worker: str
    progress: Callable[[int, str], None] = field(default=lambda percent, note="": None)


Handler = Callable[[JobContext, Job], dict[str, Any] | None]
Scan = Callable[[Session, JobContext, datetime], int]

HANDLERS: dict[str, Handler] = {}
SCANS: dict[str, Scan] = {}
# How long a runner holds a job of a kind before another may take it (it died, or hangs): long jobs
# (the national workbook) extend it with each progress report.
LEASE_SECONDS: dict[str, int] = {}
DEFAULT_LEASE_SECONDS = 300


def handler(kind: str, *, lease_seconds: int = DEFAULT_LEASE_SECONDS) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        if kind in HANDLERS and HANDLERS[kind] is not function:
            raise ValueError(f"two handlers for job kind {kind!r}")
        HANDLERS[kind] = function
        LEASE_SECONDS[kind] = lease_seconds
        return function
    return register


def scan(name: str) -> Callable[[Scan], Scan]:
    def register(function: Scan) -> Scan:
        if name in SCANS and SCANS[name] is not function:
            raise ValueError(f"two scans named {name!r}")
        SCANS[name] = function
        return function
    return register
