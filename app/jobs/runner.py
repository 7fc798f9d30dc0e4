"""One runner: on every tick, the scans (what is due now), then the due jobs until none is left.

Several runners may run at once, on one machine or several: a scan runs under a PostgreSQL
advisory lock (another runner scanning at that moment skips it: the scans are idempotent anyway, the
lock only saves the work), and `queue.take` hands each job to one runner. On SQLite (one machine)
the database's write lock orders them.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from app.jobs import queue
from app.jobs.registry import DEFAULT_LEASE_SECONDS, HANDLERS, LEASE_SECONDS, SCANS, JobContext
from app.models import Job, JobState, utcnow

log = logging.getLogger("kla.jobs")


def worker_name() -> str:
    """host:pid, as the job table's `locked_by` shows who holds a job."""
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


@dataclass
class TickReport:
    """What one tick did: per scan the count it reported, jobs done and failed (by kind)."""

    scans: dict[str, int] = field(default_factory=dict)
    skipped_scans: list[str] = field(default_factory=list)
    done: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def jobs(self) -> int:
        return sum(self.done.values()) + sum(self.failed.values())


def _scan_lock_id(name: str) -> int:
    return zlib.crc32(f"kla.scan.{name}".encode()) & 0x7FFFFFFF


def run_scans(context: JobContext, now: datetime, report: TickReport) -> None:
    for name, scan in sorted(SCANS.items()):
        with Session(context.engine) as session:
            if context.engine.dialect.name == "postgresql":
                got = session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                      {"k": _scan_lock_id(name)}).scalar()
                if not got:
                    report.skipped_scans.append(name)
                    continue
            try:
                report.scans[name] = scan(session, context, now)
                session.commit()
            except Exception:
                session.rollback()
                log.exception("scan %s failed", name)
                report.scans[name] = -1


def run_due_jobs(context: JobContext, now: datetime | None, report: TickReport, *,
                 kinds: tuple[str, ...] | None = None, limit: int | None = None) -> None:
    """Take and run due jobs until none is left (or `limit` were run). `now` fixes the clock (tests)."""
    runnable = tuple(HANDLERS) if kinds is None else tuple(k for k in kinds if k in HANDLERS)
    count = 0
    while limit is None or count < limit:
        job = queue.take(context.engine, context.worker, now, kinds=runnable, lease=LEASE_SECONDS,
                         default_lease=DEFAULT_LEASE_SECONDS)
        if job is None:
            return
        count += 1
        lease = LEASE_SECONDS.get(job.kind, DEFAULT_LEASE_SECONDS)
        bound = JobContext(context.settings, context.engine, context.catalogue, context.worker,
                           progress=_progress_of(context, job, lease))
        try:
            result = HANDLERS[job.kind](bound, job)
        except Exception as exc:  # a handler's failure is the job's, never the runner's
            detail = f"{type(exc).__name__}: {exc}"
            log.warning("job %s (%s) failed: %s", job.id, job.kind, detail)
            log.debug("%s", traceback.format_exc())
            state = queue.fail(context.engine, job, context.worker, detail, now)
            if state is not None:
                report.failed[job.kind] = report.failed.get(job.kind, 0) + 1
            continue
        if queue.finish(context.engine, job, context.worker, result, now):
            report.done[job.kind] = report.done.get(job.kind, 0) + 1


def _progress_of(context: JobContext, job: Job, lease: int) -> Callable[[int, str], None]:
    def progress(percent: int, note: str = "") -> None:
        queue.report_progress(context.engine, job, context.worker, percent, note, lease)
    return progress


def tick(context: JobContext, now: datetime | None = None) -> TickReport:
    """The scans, then every due job."""
    report = TickReport()
    run_scans(context, now or utcnow(), report)
    run_due_jobs(context, now, report)
    return report


def run_forever(context: JobContext, poll_seconds: int, *, stop: Callable[[], bool] = lambda: False,
                on_tick: Callable[[TickReport], None] = lambda report: None) -> None:
    """Tick every `poll_seconds` until `stop()` says so (the CLI stops on SIGTERM / Ctrl-C)."""
    while not stop():
        started = time.monotonic()
        try:
            on_tick(tick(context))
        except Exception:  # the database went away a moment: log it and try again next tick
            log.exception("tick failed")
        wait = poll_seconds - (time.monotonic() - started)
        while wait > 0 and not stop():
            time.sleep(min(wait, 1.0))
            wait -= 1.0


__all__ = ["JobState", "TickReport", "run_due_jobs", "run_forever", "run_scans", "tick", "worker_name"]
