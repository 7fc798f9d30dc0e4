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
import threading
import time
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.jobs import queue
from app.jobs.registry import DEFAULT_LEASE_SECONDS, HANDLERS, LEASE_SECONDS, SCANS, JobContext
from app.models import Job, JobState, utcnow

log = logging.getLogger("kla.jobs")
T = TypeVar("T")
EXIT_HUNG = 75  # EX_TEMPFAIL: the service manager starts the runner again


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
                 kinds: tuple[str, ...] | None = None, limit: int | None = None,
                 stop: Callable[[], bool] = lambda: False, watchdog: Watchdog | None = None) -> None:
    """Take and run due jobs until none is left (or `limit` were run, or `stop()` says so: checked
    before each job, so SIGTERM ends the runner after the job in hand). `now` fixes the clock (tests)."""
    runnable = tuple(HANDLERS) if kinds is None else tuple(k for k in kinds if k in HANDLERS)
    count = 0
    while (limit is None or count < limit) and not stop():
        job = queue.take(context.engine, context.worker, now, kinds=runnable, lease=LEASE_SECONDS,
                         default_lease=DEFAULT_LEASE_SECONDS)
        if job is None:
            return
        count += 1
        run_one(context, job, now, report, watchdog)


def run_one(context: JobContext, job: Job, now: datetime | None, report: TickReport,
            watchdog: Watchdog | None = None) -> None:
    """Run one taken job and record how it ended. A handler's failure is the job's, never the runner's;
    recording it survives a database that is away for a few seconds (`_persist`)."""
    lease = LEASE_SECONDS.get(job.kind, DEFAULT_LEASE_SECONDS)
    if watchdog is not None:
        watchdog.watch(job, lease)
    bound = JobContext(context.settings, context.engine, context.catalogue, context.worker,
                       progress=_progress_of(context, job, lease, watchdog))
    try:
        try:
            result = HANDLERS[job.kind](bound, job)
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"
            log.warning("job %s (%s) failed: %s", job.id, job.kind, detail)
            log.debug("%s", traceback.format_exc())
            state = _persist(lambda: queue.fail(context.engine, job, context.worker, detail, now))
            if state is not None:
                report.failed[job.kind] = report.failed.get(job.kind, 0) + 1
            return
        if _persist(lambda: queue.finish(context.engine, job, context.worker, result, now)):
            report.done[job.kind] = report.done.get(job.kind, 0) + 1
        else:  # it outlived its lease and another runner took it: that one's result stands
            log.warning("job %s (%s) finished after its lease lapsed; its result was dropped", job.id, job.kind)
    finally:
        if watchdog is not None:
            watchdog.clear()


def _persist(write: Callable[[], T], tries: int = 5, pause: float = 2.0) -> T:
    """Write a job's outcome, trying again while the database is away (a restart, a failover). Past
    the last try the error propagates: the job stays RUNNING and is taken again once its lease lapses."""
    for attempt in range(tries):
        try:
            return write()
        except OperationalError:
            if attempt == tries - 1:
                raise
            log.warning("database unavailable while recording a job; trying again in %.0f s", pause)
            time.sleep(pause)
    raise AssertionError("unreachable")


def _progress_of(context: JobContext, job: Job, lease: int,
                 watchdog: Watchdog | None) -> Callable[[int, str], None]:
    def progress(percent: int, note: str = "") -> None:
        queue.report_progress(context.engine, job, context.worker, percent, note, lease)
        if watchdog is not None:
            watchdog.extend(lease)
    return progress


class Watchdog:
    """Ends the runner's process when the job in hand hangs past its lease (plus a grace): Python
    cannot stop a thread stuck in a call, and by then another runner may take the job anyway. The
    service manager starts the runner again (`Restart=always`); the job counts the attempt, and one
    that hangs on every attempt ends FAILED (`queue.take`). Only the CLI's long-running runner uses it."""

    def __init__(self, grace_seconds: float = 60.0, exit: Callable[[int], None] = os._exit) -> None:
        self.grace = grace_seconds
        self._exit = exit
        self._lock = threading.Lock()
        self._deadline: float | None = None
        self._job: str = ""
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kla-jobs-watchdog", daemon=True)

    def start(self) -> Watchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()

    def watch(self, job: Job, lease: int) -> None:
        with self._lock:
            self._job = f"{job.id} ({job.kind})"
            self._deadline = time.monotonic() + lease + self.grace

    def extend(self, lease: int) -> None:
        with self._lock:
            if self._deadline is not None:
                self._deadline = time.monotonic() + lease + self.grace

    def clear(self) -> None:
        with self._lock:
            self._deadline = None

    def overdue(self) -> str | None:
        with self._lock:
            if self._deadline is not None and time.monotonic() > self._deadline:
                return self._job
        return None

    def _run(self) -> None:
        while not self._stopped.wait(1.0):
            job = self.overdue()
            if job is not None:
                log.critical("job %s hangs past its lease: the runner exits to be started again", job)
                logging.shutdown()
                self._exit(EXIT_HUNG)


def tick(context: JobContext, now: datetime | None = None, *, stop: Callable[[], bool] = lambda: False,
         watchdog: Watchdog | None = None) -> TickReport:
    """The scans, then every due job (until `stop()`)."""
    report = TickReport()
    run_scans(context, now or utcnow(), report)
    run_due_jobs(context, now, report, stop=stop, watchdog=watchdog)
    return report


def run_forever(context: JobContext, poll_seconds: int, *, stop: Callable[[], bool] = lambda: False,
                on_tick: Callable[[TickReport], None] = lambda report: None,
                watchdog: Watchdog | None = None) -> None:
    """Tick every `poll_seconds` until `stop()` says so (the CLI stops on SIGTERM / Ctrl-C, after the
    job in hand)."""
    while not stop():
        started = time.monotonic()
        try:
            on_tick(tick(context, stop=stop, watchdog=watchdog))
        except Exception:  # the database went away a moment: log it and try again next tick
            log.exception("tick failed")
        wait = poll_seconds - (time.monotonic() - started)
        while wait > 0 and not stop():
            time.sleep(min(wait, 1.0))
            wait -= 1.0


__all__ = ["JobState", "TickReport", "Watchdog", "run_due_jobs", "run_forever", "run_one", "run_scans", "tick",
           "worker_name"]
