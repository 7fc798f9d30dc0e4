"""The season's national pages over HTTP, mid-season for the whole nation: the pipeline and the award
list. Targets: p95 <= 150 ms at 20 users pausing ~1 s; p95 <= 500 ms back to back.

    .venv/bin/python bench/http_season.py [--paths /nasional/{year}/tahapan,/nasional/{year}/penghargaan]
                                          [--requests 300] [--clients 20] [--think-ms 1000] [--workers 2]
                                          [--url http://127.0.0.1:8000] [--keep] [--max-seconds 400]

Set-up (not measured), in a temporary data folder (SQLite, the default): `kla demo` (every province
and kab/kota, Kalimantan Tengah part-way, the ministry account admin.kemenpppa), then, by bulk
inserts, the rest of the nation in the middle of its season: about 92 % of the other kab/kota
taking part, spread over the stages (self-assessment 10 %, province 15 %, ministry 20 %, field 25 %,
final 30 %) with the stage changes that brought each there (some sent back once), an award fixed
for each at final (Utama to Pratama and no award, in the proportions of the published 2025 list), and
the previous year's cycle published (every kab/kota awarded), so that the pipeline has a published
distribution to compare with. The current year stays unpublished.

Then `kla serve` (2 workers by default: --workers) on a free loopback port, next to a bare FastAPI
app as the floor. Every simulated user is an aiohttp client logged in as admin.kemenpppa. Each
path of --paths ({year} filled in) is measured twice: --clients users pausing about --think-ms
between two requests (people at work; target p95 <= 150 ms), then back to back (the saturation
test; target p95 <= 500 ms). A path that answers 404 (a page another part of the season has not
built yet) is skipped with a note; any other answer but 200 skips it with its status. Prints
requests, errors, throughput and p50/p95/p99/max in ms with PASS/FAIL against the targets and exits 0
either way (a benchmark, not a test). The whole run is bounded (--max-seconds).

--url points at a running server (loopback only; the set-up is skipped: admin.kemenpppa with the
demo password must exist there).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._http import (  # noqa: E402
    BARE_PATH,
    DEMO_PASSWORD,
    Budget,
    Client,
    Result,
    Server,
    closed_loop,
    gather_within,
    get_request,
    kla_env,
    load_average,
    login_client,
    print_details,
    run_kla,
    start_bare_server,
    start_kla_serve,
    table,
)
from bench._run import (  # noqa: E402
    GIVEN_DB,
    SQLITE_DB,
    bench_run,
    pace,
    run_options,
    served_by,
    time_line,
)
from bench._run import print_conditions as print_head  # noqa: E402
from scoring import Move, Stage  # noqa: E402

PACED_TARGET_MS = 150
BACK_TO_BACK_TARGET_MS = 500
DEFAULT_PATHS = "/nasional/{year}/tahapan,/nasional/{year}/penghargaan"
MINISTRY_USER = "admin.kemenpppa"
TAKING_PART = 0.92
STAGES = ((Stage.SELF, 0.10), (Stage.PROVINCE, 0.15), (Stage.MINISTRY, 0.20), (Stage.FIELD, 0.25),
          (Stage.FINAL, 0.30))
# The published 2025 list (KLA.md): 22 Utama, 69 Nindya, 125 Madya, 139 Pratama of 514; the rest no award.
AWARDS = (("utama", 22), ("nindya", 69), ("madya", 125), ("pratama", 139), ("", 159))
TOTALS = {"utama": 920, "nindya": 820, "madya": 650, "pratama": 560, "": 430}
PATH_TO: dict[Stage, tuple[Move, ...]] = {
    Stage.SELF: (),
    Stage.PROVINCE: (Move.SUBMIT,),
    Stage.MINISTRY: (Move.SUBMIT, Move.HAND_ON),
    Stage.FIELD: (Move.SUBMIT, Move.HAND_ON, Move.TO_FIELD),
    Stage.FINAL: (Move.SUBMIT, Move.HAND_ON, Move.TO_FIELD, Move.TO_FINAL),
}


# -- set-up: the nation mid-season ------------------------------------------------------------------


def _category(rng: random.Random) -> str:
    return rng.choices([c for c, _n in AWARDS], weights=[n for _c, n in AWARDS])[0]


def season_nation(data_dir: Path, year: int, seed: int = 2024) -> dict[str, int]:
    """Assessments, stage changes and awards for the kab/kota the demo left out, and last year published.
    Works on the SQLite file of `data_dir` in this process; returns counts for the report."""
    from sqlalchemy import insert
    from sqlmodel import Session, col, select

    from app.config import Settings
    from app.db import make_engine
    from app.models import Assessment, Award, Cycle, Regency, StageChange, User, utcnow
    from scoring import MOVES

    settings = Settings(data_dir=data_dir, database_url="", environment="development")
    engine = make_engine(settings.resolved_database_url)
    rng = random.Random(seed)
    counts = {"assessments": 0, "stage_changes": 0, "awards": 0, "previous": 0}
    try:
        with Session(engine, expire_on_commit=False) as session:
            admin = session.exec(select(User).where(User.username == MINISTRY_USER)).one()
            cycle = session.exec(select(Cycle).where(Cycle.year == year)).one()
            taken = set(session.exec(select(Assessment.regency_code).where(Assessment.cycle_id == cycle.id)).all())
            regencies = [code for code in session.exec(select(Regency.code).order_by(col(Regency.code))).all()]
            now = utcnow()
            placed: list[tuple[Assessment, Stage]] = []
            for code in regencies:
                if code in taken or rng.random() > TAKING_PART:
                    continue
                stage = rng.choices([s for s, _w in STAGES], weights=[w for _s, w in STAGES])[0]
                assessment = Assessment(cycle_id=cycle.id, regency_code=code, stage=stage, window_open=stage == Stage.SELF,
                                        submitted_at=None if stage == Stage.SELF else now - timedelta(days=60))
                session.add(assessment)
                placed.append((assessment, stage))
            session.flush()
            changes, awards = [], []
            for assessment, stage in placed:
                moves = list(PATH_TO[stage])
                if Move.HAND_ON in moves and rng.random() < 0.1:  # sent back once, handed on again
                    at = moves.index(Move.HAND_ON) + 1
                    moves[at:at] = [Move.SEND_BACK, Move.HAND_ON]
                moment = now - timedelta(days=60)
                for move in moves:
                    start, end = MOVES[move]
                    moment += timedelta(days=rng.uniform(1, 9))
                    changes.append({"assessment_id": assessment.id, "move": move, "from_stage": start, "to_stage": end,
                                    "note": "Dikembalikan: bukti belum lengkap." if move == Move.SEND_BACK else "",
                                    "user_id": admin.id, "at": moment})
                if stage == Stage.FINAL:
                    category = _category(rng)
                    awards.append({"assessment_id": assessment.id, "total": Decimal(TOTALS[category]),
                                   "band_category": category, "category": category, "reason": "",
                                   "decided_by": admin.id, "decided_at": now - timedelta(days=1)})
            if changes:
                session.execute(insert(StageChange.__table__), changes)  # type: ignore[attr-defined]
            if awards:
                session.execute(insert(Award.__table__), awards)  # type: ignore[attr-defined]
            counts.update(assessments=len(placed), stage_changes=len(changes), awards=len(awards))

            previous = session.exec(select(Cycle).where(Cycle.year == year - 1)).first()
            if previous is None:
                previous = Cycle(year=year - 1, instrument_code=cycle.instrument_code,
                                 instrument_version=cycle.instrument_version, published_at=now - timedelta(days=300),
                                 published_by=admin.id)
                session.add(previous)
                session.flush()
                last_year = [Assessment(cycle_id=previous.id, regency_code=code, stage=Stage.AWARDED, window_open=False)
                             for code in regencies]
                session.add_all(last_year)
                session.flush()
                rows = []
                for assessment in last_year:
                    category = _category(rng)
                    rows.append({"assessment_id": assessment.id, "total": Decimal(TOTALS[category]),
                                 "band_category": category, "category": category, "reason": "",
                                 "decided_by": admin.id, "decided_at": now - timedelta(days=310)})
                session.execute(insert(Award.__table__), rows)  # type: ignore[attr-defined]
                counts["previous"] = len(last_year)
            session.commit()
    finally:
        engine.dispose()
    return counts


def set_up(args, workdir: Path, budget: Budget, started: list[Server]) -> tuple[Server, str]:
    data_dir = workdir / "data"
    env = kla_env(data_dir)
    begin = time.monotonic()
    print("setup: kla demo ...", flush=True)
    run_kla(["demo"], env, budget, ROOT)
    demo_took = time.monotonic() - begin
    begin = time.monotonic()
    counts = season_nation(data_dir, args.year)
    fill_took = time.monotonic() - begin
    summary = (f"kla demo + {counts['assessments']} more assessments mid-season, {counts['stage_changes']} stage "
               f"changes, {counts['awards']} awards fixed (unpublished); {args.year - 1} published with "
               f"{counts['previous']} awards; set-up: demo {demo_took:.1f} s + season {fill_took:.1f} s")
    print(f"setup: {summary}", flush=True)
    begin = time.monotonic()
    server = start_kla_serve(workdir, env, budget, started, cwd=ROOT, workers=args.workers)
    print(f"setup: kla serve ({args.workers} worker{'s' if args.workers > 1 else ''}) ready on {server.url} "
          f"after {time.monotonic() - begin:.1f} s", flush=True)
    return server, summary


# -- load ---------------------------------------------------------------------------------------------


async def measure(args, paths: list[str], app_url: str, bare_url: str, budget: Budget) -> tuple[list[Result],
                                                                                                 list[str]]:
    timeout = 60.0
    users = [Client(app_url, timeout) for _ in range(args.clients)]
    bare = [Client(bare_url, timeout) for _ in range(args.clients)]
    notes: list[str] = []
    try:
        await gather_within(budget, "login", lambda c: login_client(c, MINISTRY_USER, args.password, "/"), users)
        served = []
        for path in paths:  # a page not built yet is skipped, with a note
            response = await users[0].get(path)
            if response.status_code == 404:
                notes.append(f"skipped {path}: 404 (not served by this build)")
            elif response.status_code != 200:
                notes.append(f"skipped {path}: answered {response.status_code}")
            else:
                served.append(path)
        print(f"users: {len(users)} logged in as {MINISTRY_USER}; measuring {len(served)} of {len(paths)} paths",
              flush=True)
        results = []
        for think_ms, target, label in ((args.think_ms, PACED_TARGET_MS, "paced"),
                                        (0.0, BACK_TO_BACK_TARGET_MS, "b2b")):
            runs = [(f"bare GET ({label})", [get_request(c, BARE_PATH) for c in bare], None)]
            runs += [(f"{_short(p)} ({label})", [get_request(c, p) for c in users], target) for p in served]
            for name, requests, goal in runs:
                print(f"measuring: {name} ...", flush=True)
                result = await closed_loop(name, requests, args.requests, args.warmup, budget, think_ms / 1000)
                result.target_p95_ms = goal
                results.append(result)
        return results, notes
    finally:
        await asyncio.gather(*(c.aclose() for c in users + bare), return_exceptions=True)


def _short(path: str) -> str:
    """The scenario's name in the table (22 characters wide): the path's last parts."""
    return "/".join(path.rstrip("/").split("/")[-2:])[-14:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", default=DEFAULT_PATHS, help=f"comma-separated, {{year}} filled in ({DEFAULT_PATHS})")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per scenario (300)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent simulated users (20)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured requests per user and scenario (2)")
    parser.add_argument("--think-ms", type=float, default=1000.0,
                        help="mean pause of a user between two requests in the paced runs, in ms (1000)")
    parser.add_argument("--workers", type=int, default=2, help="kla serve --workers (2)")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    run_options(parser)
    parser.set_defaults(max_seconds=400.0)
    args = parser.parse_args()
    paths = [p.strip().replace("{year}", str(args.year)) for p in args.paths.split(",") if p.strip()]
    if not (1 <= args.clients <= 200 and 1 <= args.requests <= 100_000 and 0 <= args.warmup <= 100
            and 1 <= args.workers <= 16 and 1 <= args.max_seconds <= 3600 and 0 <= args.think_ms <= 10_000
            and 1 <= len(paths) <= 20 and all(p.startswith("/") for p in paths)):
        parser.error("out of bounds: --clients 1..200, --requests 1..100000, --warmup 0..100, --workers 1..16, "
                     "--max-seconds 1..3600, --think-ms 0..10000, 1..20 --paths starting with /")

    with bench_run("kla-bench-season-", args.max_seconds, args.keep) as run:
        if args.url:
            app_url = run.given_server(args.url)
            db_kind, data_note = GIVEN_DB, "as found on the server given by --url"
        else:
            server, data_note = set_up(args, run.workdir, run.budget, run.started)
            app_url, db_kind = server.url, SQLITE_DB
        bare_url = start_bare_server(run.workdir, run.budget, run.started).url
        measure_start = time.monotonic()
        load_before = load_average()
        results, notes = asyncio.run(measure(args, paths, app_url, bare_url, run.budget))
        measure_took = time.monotonic() - measure_start

    print_head(server=served_by(args.url, args.workers), baseline="uvicorn, 1 worker", db_kind=db_kind,
               load_before=load_before, data_note=data_note)
    print(f"load:    {args.clients} users as {MINISTRY_USER}, closed loop: paced ({pace(args.think_ms)}; target "
          f"p95 <= {PACED_TARGET_MS} ms) and back to back (target p95 <= {BACK_TO_BACK_TARGET_MS} ms); "
          f"{args.warmup} warm-up requests each, {args.requests} measured per scenario")
    print(f"paths:   {', '.join(paths)}")
    for note in notes:
        print(f"note:    {note}")
    print(time_line(measure_took, run))
    print()
    print(table(results))
    print_details(results)


if __name__ == "__main__":
    main()
