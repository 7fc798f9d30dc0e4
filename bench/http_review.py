"""DP3A review over HTTP at 20 concurrent users, fully answered kab/kota: dashboard and queue p95 <= 100 ms.

    .venv/bin/python bench/http_review.py [--requests 400] [--clients 20] [--think-ms 1000] [--workers 1]
                                          [--url http://127.0.0.1:8000] [--keep] [--max-seconds 300]

Set-up (not measured): a fresh demo world in a temporary data folder (`kla
demo`, SQLite, the default), then Kota Palangka Raya (62.71) is completed
with the app's own services, as its agencies and DP3A would: every one of
the catalogue's questions answered (`save_answer`, a spread of valid answers
from `scoring.samples.possible_answers`), most answers with one or two
evidence files (Evidence rows reusing the files the demo stored), everything
sent for review (`submit`), and DP3A decisions (`decide`: approved, or
returned with a reason and a note) on about half of the answers. Then `kla
serve` starts (1 worker; --workers passes through) on a free loopback port
and, next to it, a bare FastAPI app under the same uvicorn settings as the
floor to compare with.

Each simulated user is an aiohttp client with its own cookie jar that logs
itself in as the DP3A of Kota Palangka Raya (many sessions of one account).
Scenarios: GET the dashboard (/r/62.71/2024/dasbor) and GET the review queue
with every answer (/r/62.71/2024/verifikasi?status=all). Per scenario: a few
unmeasured warm-up requests per user, then --requests measured ones, each
user sending one request at a time (closed loop), pausing about --think-ms
between two (1 s by default, people at work; 0 is the saturation test, whose
p95 is about 20 service times: see bench/http_opd.py). Prints requests, errors,
throughput and p50/p95/p99/max latency in ms, with PASS/FAIL against the
targets; exits 0 either way (a benchmark, not a test). The whole run is bounded (--max-seconds): past it the run aborts
with a message and exit status 1.

--url points at a server that is already running (loopback only; the set-up
is skipped: the regency, its DP3A account and its answers must exist there).
The queue page writes one row per request (the user's notices_seen_at).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
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
    run_kla,
    start_bare_server,
    start_kla_serve,
    table,
)
from bench._run import (  # noqa: E402
    GIVEN_DB,
    SQLITE_DB,
    bench_run,
    load_options,
    pace,
    pace_option,
    print_conditions,
    run_options,
    served_by,
    time_line,
    workers_option,
)
from scoring import Stage  # noqa: E402

DASHBOARD_TARGET_MS = 100
QUEUE_TARGET_MS = 100
DECIDED_SHARE = 0.5  # of all questions, with a DP3A decision
RETURNED_SHARE = 0.2  # of the decisions taken here
EVIDENCE_SHARE = 0.85  # answers with at least one file (one or two)


# -- set-up: complete one kab/kota with the app's own services -------------------------------------


def complete_regency(data_dir: Path, regency_code: str, year: int, username: str, seed: int = 2024) -> dict:
    """Answer every question, attach files, submit all and decide about half, as the DP3A `username`.

    Works on the SQLite file of `data_dir` in this process; returns counts for the report.
    """
    from sqlmodel import Session, select

    from app.config import Settings
    from app.db import make_engine
    from app.models import Answer, AnswerStatus, Assessment, Cycle, Evidence, ReviewAction, StoredFile, User
    from app.refusals import Refusal
    from app.services import documents
    from app.services import review as review_service
    from app.services.answers import EDITABLE, AnswerInput, answers_of, is_answered, save_answer, submit
    from indicators import load_catalogue
    from scoring import Scorer
    from scoring.samples import possible_answers

    settings = Settings(data_dir=data_dir, database_url="", environment="development")
    catalogue = load_catalogue(settings.catalogue_file)
    scorer = Scorer(catalogue)
    rng = random.Random(seed)
    engine = make_engine(settings.resolved_database_url)
    counts = {"questions": len(catalogue.questions)}
    try:
        with Session(engine, expire_on_commit=False) as session:
            user = session.exec(select(User).where(User.username == username)).one()
            assessment = session.exec(
                select(Assessment).join(Cycle, Cycle.id == Assessment.cycle_id)
                .where(Assessment.regency_code == regency_code, Cycle.year == year)
            ).one()

            # 1. every question answered (the demo leaves a fifth open and some drafts empty)
            answers = answers_of(session, assessment.id)
            saved = 0
            for code in catalogue.questions:
                current = answers.get(code)
                if is_answered(current):
                    continue
                # better answers more likely: a kab/kota that is done tends to score well
                options = sorted(possible_answers(scorer, code), key=lambda a: scorer.question_points(code, a))
                pick = options[min(len(options) - 1, int(len(options) * rng.triangular(0.3, 1.0, 0.9)))]
                given = AnswerInput(option=pick.option, value=pick.value, note=f"Data {year}, lihat bukti dukung.")
                try:
                    save_answer(session, assessment, code, given, current.version if current else 0, user, scorer,
                                current=current)
                except Refusal as refusal:
                    raise BenchAborted(f"set-up: saving {code} failed ({refusal.code}: {refusal.message})") from None
                saved += 1
            session.commit()  # the services leave the commit to their caller
            counts["saved"] = saved
            answers = answers_of(session, assessment.id)

            # 2. files: reuse the stored files of the demo, one or two per answer
            files = list(session.exec(select(StoredFile.sha256).order_by(StoredFile.sha256)).all())
            if not files:
                raise BenchAborted("set-up: the demo stored no evidence file to reuse")
            with_files = {e for e in session.exec(
                select(Evidence.answer_id).join(Answer, Answer.id == Evidence.answer_id)
                .where(Answer.assessment_id == assessment.id, Evidence.removed_at.is_(None))
            ).all()}
            attached = 0
            for code, answer in answers.items():
                if answer.id in with_files or rng.random() > EVIDENCE_SHARE:
                    continue
                for n in range(rng.choice((1, 1, 2))):
                    name = f"bukti-{code}-{n + 1}.pdf"
                    documents.link(session, answer.id, documents.library_document(
                        session, assessment.id, rng.choice(files), name, user), user, name)
                    attached += 1
            session.commit()
            counts["files"] = attached

            # 3. everything sent for review
            counts["submitted"] = submit(session, assessment, [a for a in answers.values() if a.status in EDITABLE],
                                         user)
            session.commit()

            # 4. DP3A decisions on about half of the questions
            state = review_service.load_state(session, assessment)
            decided = sum(1 for a in state.answers.values() if state.last_decision(a.id, Stage.DP3A))
            waiting = [a for a in state.answers.values() if a.status == AnswerStatus.SUBMITTED
                       and state.last_decision(a.id, Stage.DP3A) is None]
            rng.shuffle(waiting)
            wanted = max(0, round(len(catalogue.questions) * DECIDED_SHARE) - decided)
            reasons = [r.code for r in catalogue.review_reasons]
            returned = 0
            rows = {a.question_code: a for a in answers_of(session, assessment.id).values()}
            for answer in (rows[a.question_code] for a in waiting[:wanted]):  # decisions change ORM rows
                if rng.random() < RETURNED_SHARE:
                    review_service.decide(session, assessment, answer, Stage.DP3A, ReviewAction.RETURNED, user,
                                          reasons=rng.sample(reasons, rng.choice((1, 1, 2))),
                                          note="Lampirkan dokumen tahun berjalan yang sudah ditandatangani.",
                                          known_reasons=set(reasons))
                    returned += 1
                else:
                    review_service.decide(session, assessment, answer, Stage.DP3A, ReviewAction.APPROVED, user)
            session.commit()
            counts["decided_now"] = min(wanted, len(waiting))
            counts["returned_now"] = returned

            # what the pages will show
            state = review_service.load_state(session, assessment)
            counts["answered"] = sum(1 for a in state.answers.values() if is_answered(a))
            by_status: dict[str, int] = {}
            for a in state.answers.values():
                by_status[a.status.value] = by_status.get(a.status.value, 0) + 1
            counts["status"] = by_status
            counts["with_files"] = sum(1 for a in state.answers.values() if state.current_files(a.id))
            counts["decided"] = sum(1 for a in state.answers.values()
                                    if state.last_decision(a.id, Stage.DP3A))
            counts["events"] = sum(len(e) for e in state.events.values())
    finally:
        engine.dispose()
    if counts["answered"] != counts["questions"]:
        raise BenchAborted(f"set-up: {counts['answered']} of {counts['questions']} questions answered")
    return counts


def set_up(args, workdir: Path, budget: Budget, started: list[Server]) -> tuple[Server, str]:
    data_dir = workdir / "data"
    env = kla_env(data_dir)
    start = time.monotonic()
    print("setup: kla demo ...", flush=True)
    run_kla(["demo"], env, budget, ROOT)
    demo_took = time.monotonic() - start
    print(f"setup: kla demo took {demo_took:.1f} s; completing {args.regency} ...", flush=True)
    start = time.monotonic()
    counts = complete_regency(data_dir, args.regency, args.year, args.username)
    fill_took = time.monotonic() - start
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(counts["status"].items()))
    summary = (f"{args.regency}: {counts['answered']}/{counts['questions']} answered ({counts['saved']} saved now), "
               f"{counts['with_files']} with files ({counts['files']} attached now), {statuses}; "
               f"{counts['decided']} with a DP3A decision ({counts['returned_now']} of {counts['decided_now']} "
               f"taken now returned), {counts['events']} review events")
    print(f"setup: {summary} [{fill_took:.1f} s]", flush=True)
    start = time.monotonic()
    server = start_kla_serve(workdir, env, budget, started, cwd=ROOT, workers=args.workers)
    print(f"setup: kla serve ({args.workers} worker{'s' if args.workers > 1 else ''}) ready on {server.url} "
          f"after {time.monotonic() - start:.1f} s", flush=True)
    return server, f"{summary}; set-up: demo {demo_took:.1f} s + completion {fill_took:.1f} s"


# -- load ---------------------------------------------------------------------------------------------


async def measure(args, app_url: str, bare_url: str, budget: Budget) -> list[Result]:
    dashboard = f"/r/{args.regency}/{args.year}/dasbor"
    queue = f"/r/{args.regency}/{args.year}/verifikasi?status=all"
    timeout = 30.0
    users = [Client(app_url, timeout) for _ in range(args.clients)]
    bare = [Client(bare_url, timeout) for _ in range(args.clients)]
    try:
        await gather_within(budget, "login", lambda c: login_client(c, args.username, args.password, dashboard),
                            users)
        for path in (dashboard, queue):  # fail early and clearly when a page does not answer
            response = await users[0].get(path)
            if response.status_code != 200:
                raise BenchAborted(f"{args.username}: GET {path} answered {response.status_code}")
        print(f"users: {len(users)} logged in as {args.username}", flush=True)
        results = []
        runs = (
            ("bare FastAPI GET", [get_request(c, BARE_PATH) for c in bare], None),
            ("dashboard GET", [get_request(c, dashboard) for c in users], DASHBOARD_TARGET_MS),
            ("review queue GET", [get_request(c, queue) for c in users], QUEUE_TARGET_MS),
        )
        for name, requests, target in runs:
            print(f"measuring: {name} ...", flush=True)
            result = await closed_loop(name, requests, args.requests, args.warmup, budget, args.think_ms / 1000)
            result.target_p95_ms = target
            results.append(result)
        return results
    finally:
        await asyncio.gather(*(c.aclose() for c in users), *(c.aclose() for c in bare), return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    load_options(parser)
    pace_option(parser)
    workers_option(parser)
    run_options(parser)
    parser.add_argument("--regency", default="62.71")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--username", default="dp3a.palangkaraya", help="the DP3A account every user logs in as")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args()
    if not (1 <= args.clients <= 200 and 1 <= args.requests <= 100_000 and 0 <= args.warmup <= 100
            and 1 <= args.workers <= 16 and 1 <= args.max_seconds <= 3600 and 0 <= args.think_ms <= 10_000):
        parser.error("out of bounds: --clients 1..200, --requests 1..100000, --warmup 0..100, --workers 1..16, "
                     "--max-seconds 1..3600, --think-ms 0..10000")

    with bench_run("kla-bench-review-", args.max_seconds, args.keep) as run:
        if args.url:
            app_url = run.given_server(args.url)
            db_kind = GIVEN_DB
            data_note = "as found on the server given by --url"
        else:
            server, data_note = set_up(args, run.workdir, run.budget, run.started)
            app_url = server.url
            db_kind = SQLITE_DB
        bare_url = start_bare_server(run.workdir, run.budget, run.started).url
        measure_start = time.monotonic()
        load_before = load_average()
        results = asyncio.run(measure(args, app_url, bare_url, run.budget))
        measure_took = time.monotonic() - measure_start

    print_conditions(server=served_by(args.url, args.workers), baseline="uvicorn, 1 worker", db_kind=db_kind,
                     load_before=load_before, data_note=data_note)
    print(f"load:    {args.clients} concurrent users as {args.username} (closed loop, {pace(args.think_ms)}), "
          f"{args.warmup} warm-up requests each, {args.requests} measured requests per scenario")
    print(time_line(measure_took, run))
    print()
    print(table(results))
    print_details(results)


if __name__ == "__main__":
    main()
