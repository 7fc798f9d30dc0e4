"""The OPD answer save p95 at 20 users, (a) alone and (b) while the job runner builds the national workbook
(issue 24, item 7: the web workers' save p95 is unchanged while a national workbook is being built).

    .venv/bin/python bench/national_during_load.py [--requests 400] [--clients 20] [--think-ms 1000]
                                                   [--year 2024] [--keep] [--max-seconds 900]

Builds a fresh demo world in a temporary data folder (`kla demo`, SQLite), starts `kla serve` (1
worker) and logs the simulated OPD users of Kota Palangka Raya in as bench/http_opd.py does (each user
saves its own draft questions in turn, so no save meets a version conflict). Then:

(a) the saves alone: --requests measured saves, closed loop, ~--think-ms between two of a user;
(b) the ministry asks for the national workbook of --year (POST /nasional/<year>/ekspor, timed: it
    returns at once), a `kla jobs run` process is started against the same database, and once the job
    runs the same saves are measured again. Each time a build ends the bench moves one assessment of
    the year a revision on (in the database, as a decision would) and asks again, so the runner builds
    the next revision: it is building for the whole measurement (the share of it is printed).

Prints both tables, the time the POST took, and each build's time (from the job table: started to
finished). Exits 0 either way (a benchmark, not a test); aborts with status 1 past --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._http import (  # noqa: E402
    BenchAborted,
    Budget,
    Client,
    closed_loop,
    gather_within,
    kla_command,
    kla_env,
    load_average,
    login_client,
    table,
)
from bench._run import bench_run, load_options, pace, pace_option  # noqa: E402
from bench.http_opd import (  # noqa: E402
    DEMO_OPD,
    DEMO_PASSWORD,
    PAGE_CSRF_RE,
    SAVE_TARGET_MS,
    User,
    login,
    read_cards,
    read_workspace,
    save_request,
    share_questions,
    start_app,
)

MINISTRY = "admin.kemenpppa"
STATE_RE = re.compile(r'id="national-export-status"[^>]*data-state="([a-z]+)"')


async def ask(admin: Client, csrf: str, year: int) -> tuple[float, str]:
    """The ministry asks for the workbook: (seconds the request took, the status page's path)."""
    start = time.perf_counter()
    response = await admin.post(f"/nasional/{year}/ekspor", data={"csrf_token": csrf})
    took = time.perf_counter() - start
    if response.status_code != 303:
        raise BenchAborted(f"asking for the national workbook answered {response.status_code}")
    return took, response.headers["location"]


async def state_of(admin: Client, status_path: str) -> str:
    page = await admin.get(status_path)
    match = STATE_RE.search(page.text)
    return match.group(1) if match else f"http {page.status_code}"


def bump_revision(database: Path, year: int) -> None:
    """One assessment of `year` one revision on, as a decision's audit entry does: the next request for
    the workbook is a new revision, so the runner builds again (the OPD saves are in another year)."""
    with sqlite3.connect(database, timeout=30) as connection:
        connection.execute("UPDATE assessment SET revision = revision + 1 WHERE id = (SELECT MIN(a.id) FROM "
                           "assessment a JOIN cycle c ON c.id = a.cycle_id WHERE c.year = ?)", (year,))


def builds(database: Path) -> list[tuple[int, str, float | None]]:
    """(job id, state, seconds from start to finish) of every national workbook job."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT id, state, started_at, finished_at FROM job "
                                  "WHERE kind = 'export.national' ORDER BY id").fetchall()
    out = []
    for job_id, state, started, finished in rows:
        took = None
        if started and finished:
            took = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
        out.append((job_id, state, took))
    return out


async def measure(args, app_url: str, database: Path, runner_command: list[str], env: dict, workdir: Path,
                  budget: Budget) -> dict:
    workspace = f"/r/{args.regency}/{args.year_opd}/isian"
    accounts = itertools.cycle(args.accounts)
    users = [User(next(accounts), Client(app_url, 10.0)) for _ in range(args.clients)]
    admin = Client(app_url, 30.0)
    runner = None
    try:
        await gather_within(budget, "login", lambda u: login(u, args.password, workspace), users)
        await gather_within(budget, "reading the workspace pages", lambda u: read_workspace(u, workspace), users)
        share_questions(users, args.per_client)
        await gather_within(budget, "reading the question cards", lambda u: read_cards(u, workspace), users)
        if any(not u.questions for u in users):
            raise BenchAborted("a user has no editable question left (fresh demo data or fewer --clients)")
        await login_client(admin, MINISTRY, args.password, f"/nasional/{args.year}")
        page = await admin.get(f"/nasional/{args.year}")
        token = PAGE_CSRF_RE.search(page.text)
        if page.status_code != 200 or token is None:
            raise BenchAborted(f"the national view answered {page.status_code} without a CSRF token")
        csrf = unescape(token.group(1))

        print(f"(a) measuring {args.requests} saves alone ...", flush=True)
        alone = await closed_loop("save alone", [save_request(u, workspace) for u in users], args.requests,
                                  args.warmup, budget, args.think_ms / 1000)
        alone.target_p95_ms = SAVE_TARGET_MS

        asked, status_path = await ask(admin, csrf, args.year)
        print(f"(b) asked for the national workbook in {asked * 1000:.0f} ms; starting kla jobs run ...", flush=True)
        runner_log = (workdir / "kla-jobs.log").open("w", encoding="utf-8")
        runner = subprocess.Popen(runner_command, cwd=ROOT, env=env, stdout=runner_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while (state := await state_of(admin, status_path)) != "running":
            if state == "done" or time.monotonic() > deadline or runner.poll() is not None:
                raise BenchAborted(f"the build did not start (state {state}); see {workdir / 'kla-jobs.log'}")
            await asyncio.sleep(0.2)

        measuring = True
        busy = {"seconds": 0.0, "asked": 1}

        async def keep_building() -> None:
            nonlocal status_path
            while measuring:
                step = time.monotonic()
                await asyncio.sleep(0.5)
                state = await state_of(admin, status_path)
                if state in ("pending", "running"):
                    busy["seconds"] += time.monotonic() - step
                elif measuring:  # done: move the year's data on (as any decision would), ask again
                    bump_revision(database, args.year)
                    _took, status_path = await ask(admin, csrf, args.year)
                    busy["asked"] += 1

        keeper = asyncio.create_task(keep_building())
        started = time.monotonic()
        print(f"(b) measuring {args.requests} saves while the runner builds ...", flush=True)
        during = await closed_loop("save during build", [save_request(u, workspace) for u in users],
                                   args.requests, args.warmup, budget, args.think_ms / 1000)
        during.target_p95_ms = SAVE_TARGET_MS
        window = time.monotonic() - started
        measuring = False
        await keeper
        deadline = time.monotonic() + budget.check("the last build")
        while (await state_of(admin, status_path)) in ("pending", "running") and time.monotonic() < deadline:
            await asyncio.sleep(1)
        return {"alone": alone, "during": during, "asked_ms": asked * 1000, "window": window,
                "busy": busy["seconds"], "asked": busy["asked"], "builds": builds(database)}
    finally:
        if runner is not None:
            runner.terminate()
            try:
                runner.wait(timeout=60)
            except subprocess.TimeoutExpired:
                runner.kill()
        await asyncio.gather(*(u.client.aclose() for u in users), admin.aclose(), return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    load_options(parser)
    pace_option(parser)
    parser.add_argument("--per-client", type=int, default=4, help="questions each user saves in turn (4)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data and logs)")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="abort the whole run after this (900)")
    parser.add_argument("--year", type=int, default=2024, help="the national workbook's year (2024)")
    parser.add_argument("--year-opd", type=int, default=2025,
                        help="the year the OPD users save in (2025: Palangka Raya's open cycle in the demo)")
    parser.add_argument("--runner-nice", type=int, default=10, help="the runner's niceness (10, as in deploy.md)")
    parser.add_argument("--regency", default="62.71")
    parser.add_argument("--accounts", type=lambda s: s.split(","),
                        default=[f"{a}.palangkaraya" for a in DEMO_OPD], help="OPD usernames, comma-separated")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args()

    before = load_average()
    with bench_run("kla-bench-national-", args.max_seconds, args.keep) as run:
        server = start_app(run.workdir, run.budget, run.started)
        env = kla_env(run.workdir / "data")
        # As docs/deploy.md runs it (Nice=10): on a machine shared with the web workers they win the CPU.
        runner = ["nice", "-n", str(args.runner_nice)] + kla_command() + ["jobs", "run", "--poll", "1"]
        figures = asyncio.run(measure(args, server.url, run.workdir / "data" / "kla.sqlite3", runner, env,
                                      run.workdir, run.budget))

    print()
    print(f"machine: {before} before; {load_average()} after")
    print("server:  kla serve (uvicorn, 1 worker), SQLite WAL; runner: kla jobs run (its own process, nice "
          f"{args.runner_nice}), same database")
    print(f"load:    {args.clients} concurrent OPD users (closed loop, {pace(args.think_ms)}), {args.requests} "
          "measured saves per scenario")
    print()
    print(table([figures["alone"], figures["during"]]))
    print()
    print(f"asking for the workbook (POST): {figures['asked_ms']:.0f} ms")
    print(f"the runner was building for {figures['busy']:.0f} s of the {figures['window']:.0f} s of (b) "
          f"({100 * figures['busy'] / max(figures['window'], 1e-9):.0f} %); asked {figures['asked']} time(s)")
    for job_id, state, took in figures["builds"]:
        print(f"  build of job {job_id}: {state}" + (f", {took:.1f} s" if took is not None else ""))
    for result in (figures["alone"], figures["during"]):
        for sample in result.error_samples:
            print(f"    error ({result.scenario}): {sample}")


if __name__ == "__main__":
    main()
