"""OPD work over HTTP at 20 concurrent users: answer save p95 <= 50 ms, workspace page p95 <= 100 ms.

    .venv/bin/python bench/http_opd.py [--requests 400] [--clients 20] [--think-ms 1000]
                                       [--url http://127.0.0.1:8000] [--keep]

Builds a fresh demo world in a temporary data folder (`kla demo`, SQLite, the
default), starts `kla serve` (1 worker) on a free loopback port and, next to it,
a bare FastAPI app under the same uvicorn settings as the floor to compare with.
Each simulated user is an aiohttp client with its own cookie jar, logged in
as one of the demo OPD accounts of Kota Palangka Raya (round-robin: several
users share an account). The draft and empty questions of their agencies are
split among the users, so no two users ever save the same question and no
version conflict (409) enters the figures; each user tracks its questions'
versions from the out-of-band version input of every save response.

Per scenario: a few unmeasured warm-up requests per user, then --requests
measured ones, each user sending one request at a time (closed loop) and
pausing about --think-ms between two (uniform 0.5x..1.5x). Prints requests,
errors, throughput and p50/p95/p99/max latency in ms, with PASS/FAIL against
the targets; exits 0 either way (a benchmark, not a test). The whole run is
bounded (--max-seconds, 300 by default): past it the run aborts with a message
and exit status 1.

Why a pause by default: the targets are the latency 20 people see while they
work at once, and a focal point does not send the next request the moment the
last one answered: 1 s between two requests is already faster than anyone
answers questions (20 requests a second for one kab/kota). --think-ms 0 is the
saturation test instead: 20 clients firing back to back keep one worker busy
all the time, so each request waits behind the other 19 and p95 comes out near
20 times one request's service time: it measures throughput (the req/s
column), not what a person waits.

--url points at a server that is already running (loopback only; setup is
skipped, the demo accounts must exist there). The run changes its data: it
saves answers to draft questions.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._http import (  # noqa: E402
    BARE_PATH,
    BenchAborted,
    Budget,
    Client,
    Result,
    Server,
    closed_loop,
    free_port,
    gather_within,
    start_bare_server,
    start_server,
    table,
    wait_ready,
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
)

DEMO_PASSWORD = "demo-kla-2024"  # app/services/demo.py
DEMO_OPD = ("dinkes", "disdik", "dukcapil", "dinsos", "bappeda", "kemenag", "polres")
SAVE_TARGET_MS = 50
WORKSPACE_TARGET_MS = 100
EDITABLE_BADGES = ("empty", "draft")  # templates/workspace/_badge.html: status-<status>, empty = unanswered

LOGIN_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE_CSRF_RE = re.compile(r'"X-CSRF-Token":\s*"([^"]+)"')
QUESTION_RE = re.compile(r'<details class="question"[^>]*?hx-get="[^"]*/isian/([^"?#/]+)"(.*?)</summary>', re.S)
BADGE_RE = re.compile(r'class="badge status-([a-z_]+)"')
VERSION_RE = re.compile(r'id="version-([^"]+)" value="(\d+)"')
OPTION_RE = re.compile(r'type="radio" name="option" value="([^"]+)"')
TAGS_RE = re.compile(r"<[^>]+>|\s+")


@dataclass
class Question:
    code: str
    version: int = 0
    options: list[str] = field(default_factory=list)  # empty: a number or percentage question
    turn: int = 0

    @property
    def dom_id(self) -> str:
        return self.code.replace(".", "_")  # app.templating.dom_id


@dataclass
class User:
    """One simulated person: a client with its own cookies, logged in as `username`."""

    username: str
    client: Client
    csrf: str = ""
    candidates: list[str] = field(default_factory=list)  # editable codes of its agency, page order
    questions: list[Question] = field(default_factory=list)
    turn: int = 0


# -- setup -----------------------------------------------------------------------------


def kla_command() -> list[str]:
    script = Path(sys.executable).parent / "kla"
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def start_app(workdir: Path, budget: Budget, started: list[Server]) -> Server:
    env = dict(os.environ)
    env.update(KLA_DATA_DIR=str(workdir / "data"), KLA_DATABASE_URL="", KLA_ENVIRONMENT="development")
    print("setup: kla demo ...", flush=True)
    try:
        done = subprocess.run(kla_command() + ["demo"], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=budget.check("kla demo"))
    except subprocess.TimeoutExpired:
        raise BenchAborted(f"kla demo did not finish within the {budget.seconds:.0f} s budget; aborted") from None
    if done.returncode != 0:
        raise BenchAborted(f"kla demo failed ({done.returncode}):\n{done.stderr[-2000:]}")
    port = free_port()
    server = start_server("kla serve", kla_command() + ["serve", "--port", str(port)], port,
                          workdir / "kla-server.log", cwd=ROOT, env=env)
    started.append(server)  # stopped by the caller, even if it never answers
    waited = wait_ready(server, "/ready", budget)
    print(f"setup: kla serve ready on {server.url} after {waited:.1f} s", flush=True)
    return server


# -- the simulated users -----------------------------------------------------------------


async def login(user: User, password: str, workspace: str) -> None:
    page = await user.client.get("/masuk")
    match = LOGIN_CSRF_RE.search(page.text)
    if page.status_code != 200 or not match:
        raise BenchAborted(f"{user.username}: the login page answered {page.status_code} without a csrf_token")
    form = {"username": user.username, "password": password, "csrf_token": unescape(match.group(1)),
            "next": workspace}
    answer = await user.client.post("/masuk", data=form)
    if answer.status_code != 303:
        raise BenchAborted(f"{user.username}: login answered {answer.status_code}, not 303 (wrong password?)")


async def read_workspace(user: User, workspace: str) -> None:
    page = await user.client.get(workspace)
    if page.status_code != 200:
        raise BenchAborted(f"{user.username}: {workspace} answered {page.status_code}")
    token = PAGE_CSRF_RE.search(page.text)
    if not token:
        raise BenchAborted(f"{user.username}: no X-CSRF-Token in the workspace page")
    user.csrf = unescape(token.group(1))
    for code, summary in QUESTION_RE.findall(page.text):
        badge = BADGE_RE.search(summary)
        if badge and badge.group(1) in EDITABLE_BADGES:
            user.candidates.append(unquote(unescape(code)))


def share_questions(users: list[User], per_user: int) -> None:
    """Deal each editable code to one user only, in turns, until each has `per_user` (or none are left).

    A question may be assigned to several agencies, so the split is over codes, not agencies.
    """
    taken: set[str] = set()
    wanted = {id(u): per_user for u in users}
    pending = {id(u): iter(u.candidates) for u in users}
    progress = True
    while progress:
        progress = False
        for user in users:
            if wanted[id(user)] == 0:
                continue
            for code in pending[id(user)]:
                if code not in taken:
                    taken.add(code)
                    user.questions.append(Question(code))
                    wanted[id(user)] -= 1
                    progress = True
                    break


def version_in(html: str, question: Question) -> int | None:
    """The value of the question's version input (in its card, or out-of-band in a save response)."""
    return next((int(v) for d, v in VERSION_RE.findall(html) if d == question.dom_id), None)


async def read_card(user: User, workspace: str, question: Question) -> bool:
    """Take the current version and the options of a question from its card; False if it is read-only."""
    card = await user.client.get(f"{workspace}/{question.code}", headers={"HX-Request": "true"})
    version = version_in(card.text, question)
    if card.status_code != 200 or version is None:
        return False
    question.version = version
    question.options = [unescape(o) for o in OPTION_RE.findall(card.text)]
    return True


async def read_cards(user: User, workspace: str) -> None:
    user.questions = [q for q in user.questions if await read_card(user, workspace, q)]  # one at a time


def page_request(user: User, path: str):
    async def request() -> tuple[bool, int, str]:
        response = await user.client.get(path)
        ok = response.status_code == 200
        return ok, len(response.content), "" if ok else f"GET {path}: {response.status_code}"

    return request


def save_request(user: User, workspace: str):
    async def request() -> tuple[bool, int, str]:
        question = user.questions[user.turn % len(user.questions)]
        user.turn += 1
        question.turn += 1
        form = {"version": str(question.version), "note": f"bench {user.username} #{question.turn}"}
        if question.options:
            form["option"] = question.options[question.turn % len(question.options)]
        else:
            form["value"] = str(question.turn % 101)  # valid for percentages and counts alike
        response = await user.client.post(f"{workspace}/{question.code}", data=form,
                                          headers={"HX-Request": "true", "X-CSRF-Token": user.csrf})
        if response.status_code == 200:
            version = version_in(response.text, question)
            if version is not None:
                question.version = version
                return True, len(response.content), ""
            problem = "200 without the out-of-band version input"
        else:
            problem = f"{response.status_code}: {TAGS_RE.sub(' ', response.text)[:160].strip()}"
        if response.status_code == 409:  # someone else saved it: pick up the version (counted as an error)
            await read_card(user, workspace, question)
        return False, len(response.content), f"POST {question.code}: {problem}"

    return request


async def measure(args, app_url: str, bare_url: str, budget: Budget) -> list[Result]:
    workspace = f"/r/{args.regency}/{args.year}/isian"
    timeout = 10.0
    accounts = itertools.cycle(args.accounts)
    users = [User(next(accounts), Client(app_url, timeout))
             for _ in range(args.clients)]
    bare = [Client(bare_url, timeout) for _ in range(args.clients)]
    try:
        await gather_within(budget, "login", lambda u: login(u, args.password, workspace), users)
        await gather_within(budget, "reading the workspace pages", lambda u: read_workspace(u, workspace), users)
        share_questions(users, args.per_client)
        await gather_within(budget, "reading the question cards", lambda u: read_cards(u, workspace), users)
        idle = [u.username for u in users if not u.questions]
        if idle:
            raise BenchAborted(f"no editable question left for user(s) {', '.join(idle)}: cannot save without "
                               "conflicts (use fresh demo data or fewer --clients)")
        shared = sum(len(u.questions) for u in users)
        print(f"users: {len(users)} logged in as {len(set(u.username for u in users))} OPD accounts; "
              f"{shared} draft/empty questions split among them, {shared / len(users):.1f} each", flush=True)

        async def bare_ping(client: Client):
            response = await client.get(BARE_PATH)
            ok = response.status_code == 200
            return ok, len(response.content), "" if ok else f"GET {BARE_PATH}: {response.status_code}"

        results = []
        runs = (
            ("bare FastAPI GET", [lambda c=c: bare_ping(c) for c in bare], None),
            ("workspace page GET", [page_request(u, workspace) for u in users], WORKSPACE_TARGET_MS),
            ("answer save POST", [save_request(u, workspace) for u in users], SAVE_TARGET_MS),
        )
        for name, requests, target in runs:
            print(f"measuring: {name} ...", flush=True)
            result = await closed_loop(name, requests, args.requests, args.warmup, budget, args.think_ms / 1000)
            result.target_p95_ms = target
            results.append(result)
        return results
    finally:
        await asyncio.gather(*(u.client.aclose() for u in users), *(c.aclose() for c in bare),
                             return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    load_options(parser)
    pace_option(parser)
    parser.add_argument("--per-client", type=int, default=4, help="questions each user saves in turn (4)")
    run_options(parser)
    parser.add_argument("--regency", default="62.71")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--accounts", type=lambda s: s.split(","),
                        default=[f"{a}.palangkaraya" for a in DEMO_OPD], help="OPD usernames, comma-separated")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args()
    if not (1 <= args.clients <= 200 and 1 <= args.requests <= 100_000 and 0 <= args.warmup <= 100
            and 1 <= args.per_client <= 50 and 1 <= args.max_seconds <= 3600 and 0 <= args.think_ms <= 10_000):
        parser.error("out of bounds: --clients 1..200, --requests 1..100000, --warmup 0..100, "
                     "--per-client 1..50, --max-seconds 1..3600, --think-ms 0..10000")

    with bench_run("kla-bench-http-", args.max_seconds, args.keep) as run:
        if args.url:
            app_url = run.given_server(args.url)
            db_kind = GIVEN_DB
        else:
            app_url = start_app(run.workdir, run.budget, run.started).url
            db_kind = SQLITE_DB
        bare_url = start_bare_server(run.workdir, run.budget, run.started).url
        results = asyncio.run(measure(args, app_url, bare_url, run.budget))

    print_conditions(server=served_by(args.url, 1), baseline="the same uvicorn settings", db_kind=db_kind)
    print(f"load:    {args.clients} concurrent users (closed loop, {pace(args.think_ms)}), {args.warmup} warm-up "
          f"requests each, {args.requests} measured requests per scenario")
    print()
    print(table(results))
    for r in results:
        size = r.bytes_in / r.requests / 1024 if r.requests else 0
        print(f"  {r.scenario}: {size:.1f} KiB per response")
        for sample in r.error_samples:
            print(f"    error: {sample}")


if __name__ == "__main__":
    main()
