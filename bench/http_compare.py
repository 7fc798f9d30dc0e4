"""Province and national views over HTTP with the whole nation submitted: province dashboard p95 <= 150 ms
(20 users), national view p95 <= 500 ms; the first (cold) request of each reported apart.

    .venv/bin/python bench/http_compare.py [--requests 400] [--national-requests 100] [--single-requests 20]
                                           [--clients 20] [--low-clients 5] [--think-ms 1000] [--workers 1]
                                           [--decided-share 0.5] [--history]
                                           [--url http://127.0.0.1:8000] [--keep] [--max-seconds 300]

Data (generated, not measured) in a temporary data folder (SQLite, the
default): the schema (Alembic), the 38 provinces and 514 kab/kota
(`load_regions`), the cycle of the catalogue's year, the accounts
`prov.kalteng` (province 62) and `admin.kemenpppa` (ministry) with the demo
password, and then by bulk INSERTs: an assessment for every kab/kota at stage
"province" (submitted), an answer to every question of the catalogue for each
(valid options and values from `scoring.samples.possible_answers`, each
region at its own level of quality, most answers approved by the DP3A), and
province decisions: every answer decided (approved, some returned with a
reason) in --decided-share of the regions, a few decisions in each of the
others. --history adds what the workflow would have left too: a "submitted"
event for every answer and a DP3A approval for every approved one (about
2 events per answer more).

Then `kla serve` starts (1 worker; --workers passes through) on a free
loopback port, next to a bare FastAPI app under the same uvicorn settings as
the floor to compare with. The app keeps the scores of each region per worker
(app/services/overview.py); each worker computes them as it starts and
answers /ready with 503 until it has (the lifespan in app/factory.py). The first province request
(its 14 regions) is timed on a fresh server once /ready says 200, which is then
restarted for the first national request (all 514 regions): the first page a
user opens after a start, whose templates and row fragments are still cold.
After that, warm: the province dashboard (/provinsi/62/YEAR) as prov.kalteng
with --clients users, and the national view (/nasional/YEAR) as
admin.kemenpppa one request at a time, with --low-clients and with --clients
users. Each user is an aiohttp client with its own cookie jar that logs
itself in; closed loop (--think-ms: a pause between two requests, 1 s by
default as people work; 0 is the saturation test, see bench/http_opd.py), a few
unmeasured warm-up requests per user first. Prints requests, errors,
throughput and p50/p95/p99/max in ms with PASS/FAIL against the targets; exits
0 either way (a benchmark, not a test). The whole run is bounded
(--max-seconds): past it the run aborts with a message and exit status 1.

--url points at a server that is already running (loopback only; the data
set-up is skipped and nothing is restarted: the first requests are only
"cold" if nobody asked for these pages since the server started).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._http import (  # noqa: E402
    BARE_PATH,
    DEMO_PASSWORD,
    BenchAborted,
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
    start_bare_server,
    start_kla_serve,
    stop_server,
    table,
    timed_get,
)
from bench._run import (  # noqa: E402
    GIVEN_DB,
    SQLITE_DB,
    bench_run,
    pace,
    print_conditions,
    served_by,
    time_line,
)

PROVINCE_TARGET_MS = 150
NATIONAL_TARGET_MS = 500
PROVINCE_USER = "prov.kalteng"
PROVINCE_CODE = "62"
MINISTRY_USER = "admin.kemenpppa"
APPROVED_BY_DP3A = 0.85  # share of answers the DP3A approved before submitting (the rest: submitted)
PROVINCE_RETURNS = 0.12  # share of the province's decisions that return the answer


# -- data: the whole nation, submitted, by bulk inserts ------------------------------------------------


def generate(data_dir: Path, year: int, decided_share: float, history: bool, seed: int = 2024) -> dict:
    """Build the database in `data_dir` in this process; returns counts for the report."""
    from sqlalchemy import insert
    from sqlmodel import Session, select

    from app.config import Settings
    from app.db import make_engine
    from app.migrate import upgrade
    from app.models import (
        Answer,
        AnswerStatus,
        Assessment,
        Cycle,
        Regency,
        ReviewAction,
        ReviewEvent,
        Role,
        User,
        utcnow,
    )
    from app.passwords import hash_password
    from app.services.regions import load_regions
    from indicators import load_catalogue
    from scoring import Scorer, Stage
    from scoring.samples import possible_answers

    settings = Settings(data_dir=data_dir, database_url="", environment="development")
    url = settings.resolved_database_url
    upgrade(url)
    catalogue = load_catalogue(settings.catalogue_file)
    scorer = Scorer(catalogue)
    rng = random.Random(seed)
    codes = list(catalogue.questions)
    # Answers of each question from worst to best: a region's quality picks along this line.
    ranked = {code: sorted(possible_answers(scorer, code), key=lambda a, c=code: scorer.question_points(c, a))
              for code in codes}
    reasons = [r.code for r in catalogue.review_reasons]
    engine = make_engine(url)
    counts: dict[str, int] = {}
    try:
        with Session(engine, expire_on_commit=False) as session:
            counts["provinces"], counts["regencies"] = load_regions(session)
            info = catalogue.data.instrument
            cycle = session.exec(select(Cycle).where(Cycle.year == year)).first()
            if cycle is None:
                cycle = Cycle(year=year, instrument_code=info.code, instrument_version=info.version)
                session.add(cycle)
            password = hash_password(DEMO_PASSWORD)
            people = {
                MINISTRY_USER: User(username=MINISTRY_USER, full_name="Admin Kementerian PPPA", role=Role.ADMIN,
                                    password_hash=password),
                PROVINCE_USER: User(username=PROVINCE_USER, full_name="Verifikator Provinsi Kalimantan Tengah",
                                    role=Role.PROVINCE, province_code=PROVINCE_CODE, password_hash=password),
            }
            for user in people.values():
                session.add(user)
            session.commit()
            regencies = session.exec(select(Regency.code).order_by(Regency.code)).all()
            province_id = people[PROVINCE_USER].id

            now = utcnow()
            assessments, answers, events = [], [], []
            answer_id = event_id = 0
            for number, regency_code in enumerate(regencies, start=1):
                submitted = now - timedelta(days=rng.uniform(5, 30))
                assessments.append({"id": number, "cycle_id": cycle.id, "regency_code": regency_code,
                                    "window_open": False, "window_closes_at": submitted - timedelta(days=1),
                                    "stage": Stage.PROVINCE, "submitted_at": submitted, "submitted_by": None})
                quality = rng.uniform(0.2, 0.95)  # from far from Pratama to around Utama
                first = answer_id + 1
                for code in codes:
                    answer_id += 1
                    options = ranked[code]
                    spot = min(len(options) - 1, max(0, round(rng.gauss(quality, 0.25) * (len(options) - 1))))
                    given = options[spot]
                    approved = rng.random() < APPROVED_BY_DP3A
                    answered_at = submitted - timedelta(days=rng.uniform(3, 60))
                    answers.append({
                        "id": answer_id, "assessment_id": number, "question_code": code, "option": given.option,
                        "value": given.value, "note": "", "not_applicable": False,
                        "status": AnswerStatus.APPROVED if approved else AnswerStatus.SUBMITTED,
                        "version": 3 if approved else 2, "updated_by": None, "updated_at": answered_at,
                        "submitted_at": answered_at,
                    })
                    if history:
                        event_id += 1
                        events.append(_event(event_id, answer_id, Stage.SELF, ReviewAction.SUBMITTED, province_id,
                                             answered_at))
                        if approved:
                            event_id += 1
                            events.append(_event(event_id, answer_id, Stage.DP3A, ReviewAction.APPROVED, province_id,
                                                 answered_at + timedelta(hours=rng.uniform(1, 48))))
                # the province's decisions: all answers in a share of the regions, a few elsewhere
                ids = list(range(first, answer_id + 1))
                chosen = ids if rng.random() < decided_share else rng.sample(ids, rng.randint(3, 12))
                for decided in sorted(chosen):
                    event_id += 1
                    at = submitted + timedelta(hours=rng.uniform(1, 96))
                    if rng.random() < PROVINCE_RETURNS:
                        events.append(_event(event_id, decided, Stage.PROVINCE, ReviewAction.RETURNED, province_id, at,
                                             reasons=[rng.choice(reasons)],
                                             note="Dokumen belum ditandatangani pejabat berwenang."))
                    else:
                        events.append(_event(event_id, decided, Stage.PROVINCE, ReviewAction.APPROVED, province_id, at))
            # Every user id above must exist: the events name the province verifier as their author
            # (the history events too: no DP3A accounts are made for 514 regions; these pages do not show authors).
            session.execute(insert(Assessment.__table__), assessments)
            for start in range(0, len(answers), 20_000):
                session.execute(insert(Answer.__table__), answers[start:start + 20_000])
            for start in range(0, len(events), 20_000):
                session.execute(insert(ReviewEvent.__table__), events[start:start + 20_000])
            session.commit()
            counts.update(assessments=len(assessments), answers=len(answers), events=len(events),
                          province_decisions=sum(1 for e in events if e["stage"] == Stage.PROVINCE))
    finally:
        engine.dispose()
    return counts


def _event(event_id, answer_id, stage, action, user_id, at, *, reasons=None, note="") -> dict:
    return {"id": event_id, "answer_id": answer_id, "stage": stage, "action": action, "reasons": reasons or [],
            "note": note, "score": None, "user_id": user_id, "at": at}


# -- servers and requests -------------------------------------------------------------------------------


def paths(args) -> tuple[str, str]:
    return f"/provinsi/{PROVINCE_CODE}/{args.year}", f"/nasional/{args.year}"


async def first_request(app_url: str, username: str, password: str, path: str) -> tuple[float, int]:
    """Log in and time the first GET of `path` (ms, bytes)."""
    async with Client(app_url, 120.0) as client:
        await login_client(client, username, password, path)
        seconds, status, size = await timed_get(client, path)
    if status != 200:
        raise BenchAborted(f"{username}: GET {path} answered {status}")
    return seconds * 1000, size


def cold_requests(args, workdir: Path, env: dict | None, budget: Budget, started: list[Server],
                  app_url: str | None) -> tuple[str, dict[str, tuple[float, int]]]:
    """The first province request on a fresh server, then the first national one on a restarted server.

    Returns the address of the server left running for the warm figures, and the cold times.
    """
    province, national = paths(args)
    cold = {}
    if app_url is not None:  # someone else's server: no restart, the order decides what is cold
        cold["province"] = asyncio.run(first_request(app_url, PROVINCE_USER, args.password, province))
        cold["national"] = asyncio.run(first_request(app_url, MINISTRY_USER, args.password, national))
        return app_url, cold
    for scope, user, path in (("province", PROVINCE_USER, province), ("national", MINISTRY_USER, national)):
        if started and started[-1].name == "kla serve":
            stop_server(started.pop())
        begin = time.monotonic()
        server = start_kla_serve(workdir, env, budget, started, cwd=ROOT, workers=args.workers,
                                 log_name=f"kla-server-{scope}.log")
        print(f"setup: kla serve ({args.workers} worker{'s' if args.workers > 1 else ''}) ready on {server.url} "
              f"after {time.monotonic() - begin:.1f} s", flush=True)
        budget.check(f"the first {scope} request")
        cold[scope] = asyncio.run(first_request(server.url, user, args.password, path))
        print(f"cold: first {scope} request {cold[scope][0]:.0f} ms", flush=True)
    return server.url, cold


async def measure(args, app_url: str, bare_url: str, budget: Budget) -> list[Result]:
    province, national = paths(args)
    timeout = 60.0

    def clients(url: str) -> list[Client]:
        return [Client(url, timeout) for _ in range(args.clients)]

    verifiers, ministry, bare = clients(app_url), clients(app_url), clients(bare_url)
    try:
        await gather_within(budget, "login", lambda c: login_client(c, PROVINCE_USER, args.password, province),
                            verifiers)
        await gather_within(budget, "login", lambda c: login_client(c, MINISTRY_USER, args.password, national),
                            ministry)
        print(f"users: {len(verifiers)} logged in as {PROVINCE_USER}, {len(ministry)} as {MINISTRY_USER}",
              flush=True)
        low = min(args.low_clients, args.clients)
        runs = (
            ("bare FastAPI GET", [get_request(c, BARE_PATH) for c in bare], args.requests, args.warmup, None),
            (f"province GET x{args.clients}", [get_request(c, province) for c in verifiers], args.requests,
             args.warmup, PROVINCE_TARGET_MS),
            ("national GET x1", [get_request(ministry[0], national)], args.single_requests, args.national_warmup,
             NATIONAL_TARGET_MS),
            (f"national GET x{low}", [get_request(c, national) for c in ministry[:low]], args.national_requests,
             args.national_warmup, NATIONAL_TARGET_MS),
            (f"national GET x{args.clients}", [get_request(c, national) for c in ministry],
             args.national_requests, args.national_warmup, NATIONAL_TARGET_MS),
        )
        results = []
        for name, requests, total, warmup, target in runs:
            print(f"measuring: {name} ...", flush=True)
            result = await closed_loop(name, requests, total, warmup, budget, args.think_ms / 1000)
            result.target_p95_ms = target
            results.append(result)
        return results
    finally:
        await asyncio.gather(*(c.aclose() for c in verifiers + ministry + bare), return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="measured province (and bare) requests (400)")
    parser.add_argument("--national-requests", type=int, default=100,
                        help="measured national requests at --low-clients and at --clients each (100)")
    parser.add_argument("--single-requests", type=int, default=20, help="national requests one at a time (20)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent simulated users (20)")
    parser.add_argument("--low-clients", type=int, default=5, help="the lower concurrency for the national view (5)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests per user, province and bare (3)")
    parser.add_argument("--national-warmup", type=int, default=1, help="unmeasured national requests per user (1)")
    parser.add_argument("--think-ms", type=float, default=1000.0,
                        help="mean pause of a user between two measured requests, in ms (1000: people at work; "
                             "0: back to back, the saturation test)")
    parser.add_argument("--workers", type=int, default=1, help="kla serve --workers (1)")
    parser.add_argument("--decided-share", type=float, default=0.5,
                        help="share of the regions the province has decided every answer of (0.5)")
    parser.add_argument("--history", action="store_true",
                        help="also a submitted event per answer and a DP3A approval per approved answer")
    parser.add_argument("--url", help="an already running server (loopback only); skips the setup")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data and server logs)")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="abort the whole run after this (300)")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args()
    if not (1 <= args.clients <= 200 and 1 <= args.low_clients <= 200 and 1 <= args.requests <= 100_000
            and 1 <= args.national_requests <= 10_000 and 1 <= args.single_requests <= 1000
            and 0 <= args.warmup <= 100 and 0 <= args.national_warmup <= 20 and 1 <= args.workers <= 16
            and 0 <= args.decided_share <= 1 and 1 <= args.max_seconds <= 3600 and 0 <= args.think_ms <= 10_000):
        parser.error("out of bounds: --clients/--low-clients 1..200, --requests 1..100000, --national-requests "
                     "1..10000, --single-requests 1..1000, --warmup 0..100, --national-warmup 0..20, "
                     "--workers 1..16, --decided-share 0..1, --max-seconds 1..3600, --think-ms 0..10000")

    data_note = "as found on the server given by --url"
    with bench_run("kla-bench-compare-", args.max_seconds, args.keep) as run:
        workdir, budget, started = run.workdir, run.budget, run.started
        if args.url:
            db_kind = GIVEN_DB
            app_url, cold = cold_requests(args, workdir, None, budget, started, run.given_server(args.url))
        else:
            print("setup: generating the nation ...", flush=True)
            begin = time.monotonic()
            counts = generate(workdir / "data", args.year, args.decided_share, args.history)
            took = time.monotonic() - begin
            size = (workdir / "data" / "kla.sqlite3").stat().st_size / 2**20
            data_note = (f"{counts['assessments']} assessments at stage province, {counts['answers']} answers "
                         f"({counts['answers'] // max(1, counts['assessments'])} each), {counts['events']} review "
                         f"events of which {counts['province_decisions']} province decisions "
                         f"({'with' if args.history else 'without'} the submitted/DP3A history); "
                         f"{size:.0f} MiB; generated in {took:.1f} s")
            print(f"setup: {data_note}", flush=True)
            db_kind = SQLITE_DB
            app_url, cold = cold_requests(args, workdir, kla_env(workdir / "data"), budget, started, None)
        bare_url = start_bare_server(workdir, budget, started).url
        measure_start = time.monotonic()
        load_before = load_average()
        results = asyncio.run(measure(args, app_url, bare_url, budget))
        measure_took = time.monotonic() - measure_start

    print_conditions(server=served_by(args.url, args.workers), baseline="uvicorn, 1 worker", db_kind=db_kind,
                     load_before=load_before, data_note=data_note)
    print(f"load:    closed loop, {pace(args.think_ms)}; province as {PROVINCE_USER}, national as {MINISTRY_USER}; "
          f"warm-up per user: {args.warmup} (province, bare), {args.national_warmup} (national)")
    print(time_line(measure_took, run))
    print()
    fresh = "each on a freshly started server" if not args.url else "in this order, on the server given by --url"
    print(f"first request after the server is ready (scores computed at start, pages not yet rendered; "
          f"{fresh}; no target):")
    print(f"  province GET /provinsi/{PROVINCE_CODE}/{args.year}: {cold['province'][0]:8.1f} ms, "
          f"{cold['province'][1] / 1024:.1f} KiB")
    print(f"  national GET /nasional/{args.year}:   {cold['national'][0]:8.1f} ms, "
          f"{cold['national'][1] / 1024:.1f} KiB")
    if args.workers > 1:
        print(f"  (the other {args.workers - 1} worker(s) computed theirs during the unmeasured warm-up)")
    print()
    print("warm:")
    print(table(results))
    print_details(results)


if __name__ == "__main__":
    main()
