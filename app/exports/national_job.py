"""The national workbook built by the job runner (issue 24, item 7), never inside a web worker.

The ministry asks for the workbook of a year; the request enqueues a job keyed by the year and the
data's revision (`revision_of`: a digest of every assessment's id, revision and stage that year and
the cycle's publication), so a workbook already built for the same revision is served again at once,
and any change to any kab/kota's answers or decisions (each bumps its assessment's revision, see
`audit.record`) makes the next request build a new one. The runner writes it (reporting progress per
kab/kota) to `settings.data_dir / "exports"` and removes the year's older files.

Only kab/kota that have submitted are written (`submitted_only`): in-progress work stays the kab/kota's
own, as on every page. `kla export national` writes the same workbook directly, without the runner.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.config import Settings
from app.exports.national import count_assessments, write_national_workbook
from app.jobs import queue
from app.jobs.registry import JobContext, handler
from app.models import Assessment, Cycle, Job, JobState, User, utcnow
from app.services import audit
from scoring import Scorer

KIND = "export.national"
PREFIX = "rekap-nasional-"
# A file a colleague may still be downloading is left a while after a newer one replaced it.
KEEP_SUPERSEDED_SECONDS = 3600
KEEP_ANY_SECONDS = 30 * 86400  # nobody asked again for a month: the next request builds it anew
PROGRESS_EVERY_SECONDS = 1.0


def exports_dir(settings: Settings) -> Path:
    return settings.data_dir / "exports"


def revision_of(session: Session, year: int) -> str:
    """What the workbook of `year` is made of: every assessment's (id, revision, stage) that year and
    the cycle's publication moment, as a short digest."""
    published = session.exec(select(Cycle.published_at).where(Cycle.year == year)).first()
    rows = session.execute(
        sa_select(col(Assessment.id), col(Assessment.revision), col(Assessment.stage))
        .join(Cycle, col(Cycle.id) == col(Assessment.cycle_id)).where(col(Cycle.year) == year)
        .order_by(col(Assessment.id))).all()
    made_of = f"{year}|{published.isoformat() if published else ''}|" + ";".join(
        f"{a}:{r}:{s}" for a, r, s in rows)
    return hashlib.sha256(made_of.encode()).hexdigest()[:20]


def job_key(year: int, revision: str) -> str:
    return f"{KIND}:{year}:{revision}"


def file_name(year: int, revision: str) -> str:
    return f"{PREFIX}{year}-{revision}.xlsx"


def file_of(settings: Settings, job: Job) -> Path | None:
    """The finished workbook of `job`, when it is there."""
    name = (job.result or {}).get("file")
    if job.state != JobState.DONE or not isinstance(name, str) or "/" in name or not name.startswith(PREFIX):
        return None
    path = exports_dir(settings) / name
    return path if path.is_file() else None


def job_of(session: Session, job_id: int, year: int) -> Job | None:
    """The national workbook job `job_id` of `year` (None for any other job)."""
    job = session.get(Job, job_id)
    if job is None or job.kind != KIND or (job.payload or {}).get("year") != year:
        return None
    return job


def request_workbook(session: Session, settings: Settings, user: User, year: int) -> Job:
    """The job building the workbook of `year` at today's data revision: an existing one (done: served
    at once; failed: tried again) or a new one. Asking twice is one job. Does not commit."""
    revision = revision_of(session, year)
    key = job_key(year, revision)
    added = queue.enqueue(session, KIND, key, {"year": year, "revision": revision}, user_id=user.id,
                          max_attempts=3)
    job = session.exec(select(Job).where(Job.key == key)).one()
    if added:
        audit.record(session, user, "export.national.request", "job", job.id, after={"year": year,
                                                                                     "revision": revision})
    elif job.state == JobState.FAILED:
        queue.retry(session, job)
    elif job.state == JobState.DONE and file_of(settings, job) is None:
        # Its file was cleaned away (a month without a request) or the data folder was restored.
        job.state, job.run_at, job.attempts, job.progress, job.finished_at = JobState.PENDING, utcnow(), 0, 0, None
        session.add(job)
    return job


def is_current(session: Session, job: Job) -> bool:
    """The job's workbook is of today's data (no answer or decision changed since it was asked for)."""
    payload = job.payload or {}
    return payload.get("revision") == revision_of(session, int(payload.get("year", 0)))


@handler(KIND, lease_seconds=300)
def build(context: JobContext, job: Job) -> dict[str, Any]:
    """Write the workbook to a part file, then put it in place (a download never sees half a file)."""
    year, revision = int(job.payload["year"]), str(job.payload["revision"])
    folder = exports_dir(context.settings)
    folder.mkdir(parents=True, exist_ok=True)
    name = file_name(year, revision)
    part = folder / f".{name}.{os.getpid()}.part"
    with Session(context.engine) as session:
        total = max(count_assessments(session, year), 1)
        step = _progress(context, total)
        try:
            report = write_national_workbook(session, context.catalogue, Scorer(context.catalogue), year, part,
                                             submitted_only=True, progress=step)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    os.replace(part, folder / name)
    clean(folder, keep=name, year=year)
    return {"file": name, "regions": report.regions, "rows": report.rows,
            "unsubmitted": report.skipped_unsubmitted, "built_at": utcnow().isoformat()}


def _progress(context: JobContext, total: int) -> Any:  # noqa: ANN401 (a callback)
    """A progress callback per kab/kota that writes at most once a second (and extends the lease)."""
    state = {"done": 0, "last": 0.0}

    def step(count: int) -> None:
        state["done"] += count
        now = time.monotonic()
        if now - state["last"] >= PROGRESS_EVERY_SECONDS:
            state["last"] = now
            done = int(state["done"])
            context.progress(min(99, done * 100 // total), f"{done}/{total}")
    return step


def clean(folder: Path, *, keep: str, year: int, now: float | None = None) -> list[str]:
    """Remove the year's superseded workbooks (after a while), any workbook nobody asked for in a month,
    and part files of a build that died. Says what it removed."""
    now = now or time.time()
    removed = []
    for path in folder.iterdir():
        if path.name == keep or not path.is_file():
            continue
        age = now - path.stat().st_mtime
        superseded = path.name.startswith(f"{PREFIX}{year}-") and age > KEEP_SUPERSEDED_SECONDS
        stale = path.name.startswith(PREFIX) and age > KEEP_ANY_SECONDS
        dead_part = path.name.startswith(f".{PREFIX}") and path.name.endswith(".part") and age > 86400
        if superseded or stale or dead_part:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def built_at(job: Job) -> datetime | None:
    value = (job.result or {}).get("built_at")
    return datetime.fromisoformat(value) if isinstance(value, str) else None
