"""Excel exports: one kab/kota rekap (target <= 1 s) and the national workbook for
514 regions x 274 answers (target <= 60 s, peak memory <= 1 GB).

    .venv/bin/python bench/export.py [--regions 514] [--repeat 5] [--no-tracemalloc] [--keep DIR]

Builds a throwaway SQLite database first (not timed): all 38 provinces and 514 kab/kota
from data/regions, an assessment for each of the first --regions kab/kota with all 274
questions answered at random (plain bulk inserts), decisions by the DP3A and the province on
most answers, and for the first kab/kota its agencies, assignments and one or two evidence
files per answer. Then prints:

- the time to build and save that kab/kota's rekap (best and median of --repeat runs);
- the national workbook written in a child process, so that the peak resident memory
  (ru_maxrss) is the export's own, not the generator's: time, peak RSS, file size, rows;
- a second child run under tracemalloc: peak Python allocations during the export
  (tracemalloc slows Python down, so that run is not timed).

Figures on the 2-core development machine (514 regions, issue 20): openpyxl's write-only
workbook, 9 columns, no summary: rekap 169 ms, national 15.5 s, 109 MB peak RSS, 4.6 MB file.
XlsxWriter (constant_memory) with the question text, the not-applicable column and the
`Ringkasan` summary per kab/kota: rekap 50-200 ms (a shared machine: noisy), national 17.3-18.6 s,
110 MB peak RSS, 1.8 MB traced Python peak, 10.4 MB file
(the question text repeated on every row: inline strings in constant_memory mode).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from app.db import make_engine  # noqa: E402
from app.exports.national import write_national_workbook  # noqa: E402
from app.exports.rekap import build_regency_workbook  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import Answer, AnswerStatus, Assessment, Evidence, Regency, Role, StoredFile, User  # noqa: E402
from app.services.regions import load_regions  # noqa: E402
from app.services.setup import default_agencies, ensure_cycle, open_assessment  # noqa: E402
from indicators import load_catalogue  # noqa: E402
from scoring import Scorer, Stage  # noqa: E402
from scoring.samples import random_answers  # noqa: E402

MB = 1024 * 1024


def generate(url: str, regions: int, seed: int = 2024) -> tuple[int, int]:
    """Fill the database; returns (the year, the id of the assessment with evidence)."""
    upgrade(url)
    catalogue = load_catalogue()
    scorer = Scorer(catalogue)
    rng = random.Random(seed)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        load_regions(session)
        cycle = ensure_cycle(session, catalogue)
        user = User(username="bench", full_name="Bench", password_hash="-", role=Role.ADMIN)
        session.add(user)
        session.flush()
        codes = session.exec(select(Regency.code).order_by(Regency.code)).all()[:regions]
        first = session.get(Regency, codes[0])
        default_agencies(session, first, catalogue)
        measured = open_assessment(session, first, cycle, catalogue)  # with agencies and assignments
        session.execute(insert(Assessment), [
            {"cycle_id": cycle.id, "regency_code": code, "window_open": True, "stage": Stage.PROVINCE}
            for code in codes[1:]
        ])
        session.execute(text("UPDATE assessment SET stage = 'province'"))
        ids = session.exec(select(Assessment.id)).all()
        for assessment_id in ids:
            rows = []
            for code, given in random_answers(scorer, rng, answered_share=1.0).items():
                rows.append({
                    "assessment_id": assessment_id, "question_code": code, "option": given.option,
                    "value": given.value, "note": "catatan" if rng.random() < 0.2 else "",
                    "not_applicable": False, "status": AnswerStatus.APPROVED, "version": 2, "updated_by": user.id,
                    "updated_at": now,
                })
            session.execute(insert(Answer), rows)
        for stage, share in ((Stage.DP3A, 9), (Stage.PROVINCE, 8)):
            session.execute(text(
                "INSERT INTO reviewevent (answer_id, stage, action, reasons, note, user_id, at) "
                "SELECT id, :stage, CASE WHEN abs(random()) % 10 < :share THEN 'approved' ELSE 'returned' END, "
                "'[]', '', :user, :at FROM answer"), {"stage": stage, "share": share, "user": user.id, "at": now})
        session.add(StoredFile(sha256="ab" * 32, size=12345, media_type="application/pdf", kind="pdf"))
        session.flush()
        answer_ids = session.exec(select(Answer.id).where(Answer.assessment_id == measured.id)).all()
        session.execute(insert(Evidence), [
            {"answer_id": answer_id, "sha256": "ab" * 32, "filename": f"bukti-{answer_id}-{n}.pdf",
             "uploaded_by": user.id, "uploaded_at": now}
            for answer_id in answer_ids for n in range(1 + answer_id % 2)
        ])
        session.commit()
        year, measured_id = cycle.year, measured.id
    engine.dispose()
    return year, measured_id


def time_regency(url: str, assessment_id: int, repeat: int) -> list[float]:
    catalogue = load_catalogue()
    scorer = Scorer(catalogue)
    engine = make_engine(url)
    timings = []
    with Session(engine, expire_on_commit=False) as session:
        assessment = session.get(Assessment, assessment_id)
        for _ in range(repeat):
            session.expire_all()
            start = time.perf_counter()
            data = build_regency_workbook(session, catalogue, scorer, assessment, "https://kla.example.go.id")
            timings.append(time.perf_counter() - start)
    engine.dispose()
    print(f"kab/kota rekap: {len(data) / 1024:.0f} KB")
    return timings


def national_child(url: str, year: int, out: str, traced: bool) -> None:
    """Runs in a fresh process: export the nation, print figures as one JSON line."""
    catalogue = load_catalogue()
    scorer = Scorer(catalogue)
    engine = make_engine(url)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if traced:
        tracemalloc.start()
    with Session(engine, expire_on_commit=False) as session:
        start = time.perf_counter()
        report = write_national_workbook(session, catalogue, scorer, year, out)
        elapsed = time.perf_counter() - start
    figures = {
        "seconds": elapsed,
        "regions": report.regions,
        "rows": report.rows,
        "baseline_rss": baseline,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "size": os.path.getsize(out),
    }
    if traced:
        figures["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(json.dumps(figures))


def run_child(url: str, year: int, out: Path, traced: bool) -> dict:
    command = [sys.executable, __file__, "--child", url, str(year), str(out)] + (["--traced"] if traced else [])
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        national_child(sys.argv[2], int(sys.argv[3]), sys.argv[4], "--traced" in sys.argv)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regions", type=int, default=514)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the tracemalloc run")
    parser.add_argument("--keep", type=Path, help="keep the database and the workbook in this folder")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="kla-bench-export-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "bench.sqlite3"
    database.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    start = time.perf_counter()
    year, measured = generate(url, args.regions)
    print(f"generated {args.regions} regions x 274 answers in {time.perf_counter() - start:.1f} s (not measured)")

    timings = time_regency(url, measured, args.repeat)
    print(f"kab/kota rekap: best {min(timings) * 1000:7.0f} ms   median {statistics.median(timings) * 1000:7.0f} ms"
          "   (target <= 1000 ms)")

    out = folder / "nasional.xlsx"
    figures = run_child(url, year, out, traced=False)
    print(f"national: {figures['regions']} regions, {figures['rows']} rows, {figures['size'] / MB:.1f} MB file")
    print(f"national: {figures['seconds']:7.1f} s   (target <= 60 s)")
    print(f"national: peak RSS {figures['peak_rss'] / MB:6.0f} MB (process after imports: "
          f"{figures['baseline_rss'] / MB:.0f} MB)   (target <= 1024 MB)")
    if not args.no_tracemalloc:
        traced = run_child(url, year, out, traced=True)
        print(f"national: tracemalloc peak {traced['traced_peak'] / MB:6.1f} MB of Python allocations during the export")
    if args.keep is None:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
