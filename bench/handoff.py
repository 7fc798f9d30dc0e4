"""The hand-off package of a fully answered kab/kota: 274 questions, ~800 files (target <= 10 s,
peak RSS <= 200 MB).

    .venv/bin/python bench/handoff.py [--files 800] [--repeat 3] [--keep DIR]

Builds a throwaway SQLite database and evidence store first (not timed): the regions, one kab/kota
with its agencies and every question answered at random (bulk inserts), --files evidence files of
realistic sizes (mostly PDFs of 30-400 KB, a fifth images of 150 KB-1.5 MB, a few scans of 3-8 MB;
random bytes written straight into the store's layout) attached in bulk, one in ten reused on a
second question, documents given titles through `documents.adopt_unlinked`, figures for the data
questions. Then, in a child process per run (so that the peak resident memory, ru_maxrss, is the
package's own and not the generator's), as the DP3A downloads it (sensitive files included): the
plan (database reads, the sensitive-file rule, a stat per file), the workbook, and the whole ZIP
streamed into /dev/null. Prints time, peak RSS and the package's size per run.

The files were just written, so they are read from the page cache: the figures are the package's
CPU and memory cost, not a cold disk's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from app.db import make_engine  # noqa: E402
from app.evidence import EvidenceStore  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import Answer, AnswerStatus, Evidence, Figure, Regency, Role, StoredFile, User  # noqa: E402
from app.services import documents  # noqa: E402
from app.services.regions import load_regions  # noqa: E402
from app.services.setup import default_agencies, ensure_cycle, open_assessment  # noqa: E402
from indicators import load_catalogue  # noqa: E402
from scoring import Scorer  # noqa: E402
from scoring.samples import random_answers  # noqa: E402

MB = 1024 * 1024
REGENCY = "62.71"
TITLES = ("Peraturan Daerah Nomor {n} Tahun 2021 tentang Kota Layak Anak", "SK Gugus Tugas KLA {n}/2024",
          "Laporan Kegiatan Forum Anak {n}", "Foto kegiatan {n}", "Potongan DPA Dinas {n}",
          "Notulen Rapat Koordinasi ({n})", "Data terpilah anak – {n}")


def file_size(rng: random.Random) -> tuple[int, str]:
    roll = rng.random()
    if roll < 0.01:
        return rng.randint(3 * MB, 8 * MB), "pdf"  # a scanned Perda
    if roll < 0.2:
        return rng.randint(150 * 1024, int(1.5 * MB)), "jpg"
    return rng.randint(30 * 1024, 400 * 1024), "pdf"


def generate(url: str, store: EvidenceStore, files: int, seed: int = 2024) -> tuple[int, int, int]:
    """Fill the database and the store; returns (assessment id, files, bytes)."""
    upgrade(url)
    catalogue = load_catalogue()
    scorer = Scorer(catalogue)
    rng = random.Random(seed)
    engine = make_engine(url)
    now = datetime.now(UTC)
    total = 0
    with Session(engine, expire_on_commit=False) as session:
        load_regions(session)
        cycle = ensure_cycle(session, catalogue)
        regency = session.get_one(Regency, REGENCY)
        user = User(username="bench", full_name="Bench", password_hash="-", role=Role.DP3A, regency_code=REGENCY)
        session.add(user)
        session.flush()
        default_agencies(session, regency, catalogue)
        assessment = open_assessment(session, regency, cycle, catalogue)
        session.execute(insert(Answer), [
            {"assessment_id": assessment.id, "question_code": code, "option": given.option, "value": given.value,
             "note": "catatan untuk verifikator" if rng.random() < 0.3 else "", "not_applicable": False,
             "status": AnswerStatus.SUBMITTED, "version": 2, "updated_by": user.id, "updated_at": now}
            for code, given in random_answers(scorer, rng, answered_share=1.0).items()])
        answers = dict(session.exec(select(Answer.question_code, Answer.id)
                                    .where(Answer.assessment_id == assessment.id)).all())
        codes = list(answers)
        stored, links = [], []
        for n in range(files):
            size, extension = file_size(rng)
            data = rng.randbytes(size)
            sha = hashlib.sha256(data).hexdigest()
            path = store.path_for(sha)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            total += size
            stored.append({"sha256": sha, "size": size, "media_type": "application/pdf" if extension == "pdf"
                           else "image/jpeg", "kind": extension, "created_at": now})
            code = codes[n % len(codes)]
            name = f"{rng.choice(TITLES).format(n=n)}.{extension}"
            links.append({"answer_id": answers[code], "sha256": sha, "filename": name[:160],
                          "uploaded_by": user.id, "uploaded_at": now})
            if rng.random() < 0.1:  # a Perda serving a second question
                links.append({"answer_id": answers[rng.choice(codes)], "sha256": sha, "filename": name[:160],
                              "uploaded_by": user.id, "uploaded_at": now})
        session.execute(insert(StoredFile), stored)
        session.execute(insert(Evidence), links)
        documents.adopt_unlinked(session, assessment.id)
        session.execute(text("UPDATE document SET title = 'Dokumen ' || id || ' ' || filename, year = 2024"))
        data_codes = [code for code, ref in catalogue.questions.items() if ref.question.figures] or codes[:20]
        session.execute(insert(Figure), [
            {"answer_id": answers[code], "year": year, "numerator": Decimal(rng.randint(10, 900)),
             "denominator": Decimal(1000), "unit": "anak", "updated_at": now}
            for code in data_codes for year in (cycle.year - 2, cycle.year - 1)])
        session.commit()
        assessment_id = assessment.id
    engine.dispose()
    return assessment_id, len(links), total


def child(url: str, store_root: str, assessment_id: int) -> None:
    """One package in a fresh process: figures as one JSON line."""
    from app.models import Assessment
    from app.services.evidence import EvidenceAccess
    from app.services.handoff import build_package, plan_handoff

    catalogue = load_catalogue()
    engine = make_engine(url)
    store = EvidenceStore(Path(store_root), 20 * MB)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with Session(engine, expire_on_commit=False) as session:
        start = time.perf_counter()
        assessment = session.get_one(Assessment, assessment_id)
        user = session.exec(select(User).where(User.username == "bench")).one()
        regency = session.get_one(Regency, assessment.regency_code)
        access = EvidenceAccess(session, catalogue, user, regency_code=regency.code,
                                province_code=regency.province_code, assessment_id=assessment_id,
                                stage=assessment.stage)
        plan = plan_handoff(session, catalogue, store, assessment, access, with_sensitive=True)
        planned = time.perf_counter()
        package = build_package(plan, store)
        queued = time.perf_counter()
    written = 0
    with open(os.devnull, "wb") as sink:
        for chunk in package.chunks():
            written += len(chunk)
            sink.write(chunk)
    done = time.perf_counter()
    print(json.dumps({
        "plan": planned - start, "workbook": queued - planned, "stream": done - queued, "seconds": done - start,
        "bytes": written, "declared": package.size, "entries": len(plan.files),
        "questions": len(plan.answered), "baseline_rss": baseline,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


def run_child(url: str, store_root: Path, assessment_id: int) -> dict:
    command = [sys.executable, __file__, "--child", url, str(store_root), str(assessment_id)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=730, help="stored files (730; with reuse ~800 attachments)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the database and the store in this folder")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="kla-bench-handoff-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "bench.sqlite3"
    database.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    store = EvidenceStore(folder / "evidence", 20 * MB)
    start = time.perf_counter()
    assessment_id, links, total = generate(url, store, args.files)
    print(f"generated 274 answers, {links} attachments of {args.files} files, {total / MB:.0f} MB "
          f"in {time.perf_counter() - start:.1f} s (not measured)")
    runs = [run_child(url, store.root, assessment_id) for _ in range(args.repeat)]
    last = runs[-1]
    assert last["bytes"] == last["declared"], "the declared size (Content-Length) is the size streamed"
    print(f"package: {last['questions']} questions, {last['entries']} files, {last['bytes'] / MB:.0f} MB ZIP")
    for n, run in enumerate(runs, start=1):
        print(f"run {n}: {run['seconds']:5.2f} s (plan {run['plan']:.2f} s, workbook {run['workbook']:.2f} s, "
              f"stream {run['stream']:.2f} s); peak RSS {run['peak_rss'] / MB:.0f} MB "
              f"(after imports {run['baseline_rss'] / MB:.0f} MB)")
    seconds = statistics.median(r["seconds"] for r in runs)
    peak = max(r["peak_rss"] for r in runs)
    print(f"median {seconds:.2f} s   (target <= 10 s);   peak RSS {peak / MB:.0f} MB   (target <= 200 MB)")
    if args.keep is None:
        import shutil

        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
