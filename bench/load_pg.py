"""The busiest day of a cycle on PostgreSQL: 200 people at once, saves, uploads, DP3A pages.

    .venv/bin/python bench/load_pg.py [--requests 4000] [--think-ms 0] [--workers 2] [--regencies 50]
                                      [--active-requests 0] [--max-seconds 300] [--request-log] [--keep]

Set-up (not measured):

- the database `kla_load` on the local PostgreSQL server (--pg, loopback only) is
  dropped and created again, then `kla db upgrade` runs against it (a subprocess
  with KLA_DATABASE_URL set);
- with the app's own services and models: every province and kab/kota
  (`load_regions`), the 2024 cycle (`ensure_cycle`), and for the first --regencies
  kab/kota by code (50) their default agencies (`default_agencies`), their
  assessment with the catalogue's assignments (`open_assessment`), one DP3A
  account and one OPD account for each of DINKES, DISDIK and DINSOS: 200 accounts.
  The password is random per run and printed; it is hashed once (argon2) and that
  hash is stored for every account;
- `kla serve --workers 2 --no-access-log` on a free loopback port, KLA_DATABASE_URL
  pointing at kla_load, KLA_ENVIRONMENT=test, KLA_DATA_DIR in a temporary folder
  (the evidence store); the run starts once /ready answers 200.

Each simulated person is an aiohttp client with its own cookie jar (one
connection, like one browser tab). They all log in through the login form at
the start, at most --login-concurrency (20) at a time because argon2 is slow on
purpose; an OPD person then opens its workspace once to pick up the CSRF token.

The measured part is a fixed number of requests (--requests, 4000), dealt out
before the start: 20 % DP3A page views (half the dashboard, half the workspace
with every question), 10 % evidence uploads and 70 % answer saves by the OPD
people. The questions of each kab/kota's three agencies are partitioned so that
no two people ever save the same question: a version conflict (409) cannot
happen and counts as an error. Saves use answers that are valid for the
question's scale (`scoring.samples.possible_answers`) and a note unique to the
save; each person tracks its questions' versions from the out-of-band version
input of every save response. An upload is a small, valid PDF
(`app.services.demo.sample_pdf`) whose content is unique, attached to a
question the person has already saved. Every person works through its own
list one request at a time (closed loop); --think-ms is the mean pause between
two requests (uniform 0.5x..1.5x; 0: back to back, the saturation test).

Reported: throughput, p50/p95/p99/max latency per action and overall, errors
(any non-2xx, a 409 included, and any request that raised), CPU time of the
server processes per request, the peak number of connections to kla_load, and
the share of the machine's CPU time the hypervisor took during the measured part
(stolen time: on a shared virtual machine the same code's figures move with it).
Target: answer save p95 <= 100 ms, 0 errors, 0 lost writes.

Afterwards, with the server stopped (after an abort too), straight from the database and the disk:
every question whose save got a 200 holds the note and answer of its last 200
and a version equal to the number of 200s it got (no lost and no doubled
write); the audit log holds one `answer.save` entry per 200 save and one
`evidence.upload` entry per 200 upload, and its hash chain is intact; every
upload that got a 200 has its Evidence row on the right answer and its file in
the store, whose SHA-256 still matches (`EvidenceStore.verify`).

Each worker admits at most KLA_ACTIVE_REQUESTS requests into the app at once
(app/admission.py; the others wait on the event loop) and keeps as many
database connections: --active-requests sets it for the server (0: the app's
default).

Clean-up: the server is stopped, kla_load dropped (unless --keep) and the
temporary folder removed (unless --keep). Everything stays on the loopback
interface and is bounded in count and time (--max-seconds, 300: past it the
run aborts with exit status 1). Exit status 0 otherwise, whether the targets
are met or not (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import html
import ipaddress
import os
import random
import re
import secrets
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._http import (  # noqa: E402
    BenchAborted,
    Budget,
    Client,
    HTTPError,
    Response,
    Result,
    Server,
    cpu_times,
    descendants,
    free_port,
    gather_within,
    kla_command,
    load_average,
    login_client,
    machine_info,
    print_details,
    remove_dir,
    run_kla,
    start_server,
    stolen_share,
    stop_server_tree,
    table,
    wait_ready,
)

DB_NAME = "kla_load"  # the only database this benchmark creates or drops
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
OPD_ROLES = ("DINKES", "DISDIK", "DINSOS")
DP3A_SHARE = 0.20  # of all measured requests: DP3A page views (half dashboard, half workspace)
UPLOAD_SHARE = 0.10  # of all measured requests: evidence uploads by the OPD people
SAVE_TARGET_MS = 100
ACTIONS = ("save", "upload", "dashboard", "workspace")

PAGE_CSRF_RE = re.compile(r'"X-CSRF-Token":\s*"([^"]+)"')
VERSION_RE = re.compile(r'id="version-([^"]+)" value="(\d+)"')
TAGS_RE = re.compile(r"<[^>]+>|\s+")


# -- the world: who answers what ----------------------------------------------------------


@dataclass
class Question:
    """One question one person saves: the versions it saw and what it saved last with a 200."""

    code: str
    choices: list[dict[str, str]]  # valid form answers: {"option": ...} or {"value": ...}
    version: int = 0
    attempts: int = 0
    ok_saves: int = 0
    last_ok: tuple[int, str, dict[str, str]] | None = None  # version, note, answer of the last 200
    unknown: int = 0  # saves whose outcome is not known (raised, 5xx): each may or may not have been written
    unsure: bool = False  # read the version again before the next save
    unsure_after_last_ok: bool = False  # the stored state may be newer than last_ok
    anomalies: list[str] = field(default_factory=list)

    @property
    def dom_id(self) -> str:
        return self.code.replace(".", "_")  # app.templating.dom_id


@dataclass
class Person:
    username: str
    role: str  # "dp3a" or "opd"
    regency: str
    assessment_id: int
    questions: list[Question] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    client: Client | None = None
    csrf: str = ""
    turn: int = 0
    uploads: list[tuple[str, str, str]] = field(default_factory=list)  # code, sha256, filename (200s)
    upload_count: int = 0


@dataclass
class World:
    people: list[Person]
    password: str
    year: int
    regencies: int
    questions_shared: int


def pg_urls(base: str) -> tuple[URL, str]:
    """The SQLAlchemy URL of kla_load and a libpq conninfo for the maintenance database."""
    url = make_url(base)
    host = url.host or "127.0.0.1"
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError
        except ValueError:
            raise SystemExit(f"only a PostgreSQL server on the loopback interface is allowed, not {host!r}") from None
    if url.get_backend_name() != "postgresql":
        raise SystemExit(f"--pg must be a PostgreSQL URL, not {base!r}")
    target = url.set(drivername="postgresql+psycopg", database=DB_NAME, host=host)
    admin = psycopg.conninfo.make_conninfo(host=host, port=url.port or 5432, user=url.username or "postgres",
                                           password=url.password or None, dbname="postgres", connect_timeout=5)
    return target, admin


def recreate_database(admin: str) -> None:
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database(admin: str) -> None:
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def build_world(url: str, n_regencies: int, per_person: int, budget: Budget) -> World:
    """Regions, the cycle, agencies, assessments and accounts, with the app's services; the split of questions."""
    from sqlmodel import Session, select

    from app.config import Settings
    from app.db import make_engine
    from app.models import Agency, Assignment, Regency, Role, User
    from app.passwords import hash_password
    from app.services.regions import load_regions
    from app.services.setup import default_agencies, ensure_cycle, open_assessment
    from indicators import load_catalogue
    from scoring import Scorer
    from scoring.samples import possible_answers

    catalogue = load_catalogue(Settings().catalogue_file)
    scorer = Scorer(catalogue)
    order = {code: i for i, code in enumerate(catalogue.questions)}
    choices = {}
    for code in catalogue.questions:
        forms = []
        for answer in possible_answers(scorer, code):
            forms.append({"option": answer.option} if answer.option is not None else {"value": str(answer.value)})
        choices[code] = forms
    password = "load-" + secrets.token_urlsafe(12)
    password_hash = hash_password(password)  # once: argon2 is slow on purpose
    people: list[Person] = []
    shared = 0
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            load_regions(session)
            cycle = ensure_cycle(session, catalogue)
            session.commit()
            regencies = session.exec(select(Regency).order_by(Regency.code).limit(n_regencies)).all()
            for regency in regencies:
                budget.check("building the data")
                default_agencies(session, regency, catalogue)
                assessment = open_assessment(session, regency, cycle, catalogue)
                agencies = {a.role_code: a for a in session.exec(select(Agency)
                                                                 .where(Agency.regency_code == regency.code))}
                slug = regency.code.replace(".", "")
                session.add(User(username=f"dp3a.{slug}", full_name=f"DP3A {regency.name}", role=Role.DP3A,
                                 password_hash=password_hash, regency_code=regency.code,
                                 agency_id=agencies["DP3A"].id))
                people.append(Person(f"dp3a.{slug}", "dp3a", regency.code, assessment.id))
                opd: list[Person] = []
                assigned: dict[str, list[str]] = {}
                for role in OPD_ROLES:
                    agency = agencies[role]
                    username = f"{role.lower()}.{slug}"
                    session.add(User(username=username, full_name=f"Operator {role} {regency.name}", role=Role.OPD,
                                     password_hash=password_hash, regency_code=regency.code, agency_id=agency.id))
                    codes = session.exec(select(Assignment.question_code).where(
                        Assignment.assessment_id == assessment.id, Assignment.agency_id == agency.id)).all()
                    assigned[username] = sorted(set(codes), key=order.__getitem__)
                    opd.append(Person(username, "opd", regency.code, assessment.id))
                session.commit()
                # Deal the agencies' questions in turns: a question assigned to two of them goes to one person only.
                taken: set[str] = set()
                pending = {p.username: iter(assigned[p.username]) for p in opd}
                progress = True
                while progress:
                    progress = False
                    for person in opd:
                        if len(person.questions) >= per_person:
                            continue
                        for code in pending[person.username]:
                            if code not in taken:
                                taken.add(code)
                                person.questions.append(Question(code, choices[code]))
                                progress = True
                                break
                shared += len(taken)
                people.extend(opd)
    finally:
        engine.dispose()
    idle = [p.username for p in people if p.role == "opd" and not p.questions]
    if idle:
        raise BenchAborted(f"no question of their own for {', '.join(idle[:5])}")
    return World(people, password, catalogue.year, len(regencies), shared)


def deal_plans(people: list[Person], total: int, seed: int) -> dict[str, int]:
    """A fixed list of requests per person: DP3A page views and OPD saves and uploads in the set shares."""
    rng = random.Random(seed)
    dp3a = [p for p in people if p.role == "dp3a"]
    opd = [p for p in people if p.role == "opd"]
    n_dp3a = round(total * DP3A_SHARE) if dp3a else 0
    n_upload = round(total * UPLOAD_SHARE)
    n_save = total - n_dp3a - n_upload
    views = ["dashboard", "workspace"] * (n_dp3a // 2) + ["dashboard"] * (n_dp3a % 2)
    work = ["save"] * n_save + ["upload"] * n_upload
    rng.shuffle(views)
    rng.shuffle(work)
    for i, kind in enumerate(views):
        dp3a[i % len(dp3a)].plan.append(kind)
    for i, kind in enumerate(work):
        opd[i % len(opd)].plan.append(kind)
    for person in opd:  # an upload goes to a question already saved: the first request is a save
        if person.plan and person.plan[0] == "upload" and "save" in person.plan:
            j = person.plan.index("save")
            person.plan[0], person.plan[j] = person.plan[j], person.plan[0]
    return {"save": n_save, "upload": n_upload, "dashboard": views.count("dashboard"),
            "workspace": views.count("workspace")}


# -- servers, processes ---------------------------------------------------------------------


def server_env(database_url: str, data_dir: Path, request_log: bool = False) -> dict:
    env = dict(os.environ)
    env.update(KLA_DATABASE_URL=database_url, KLA_DATA_DIR=str(data_dir), KLA_ENVIRONMENT="test",
               KLA_SECRET_KEY=secrets.token_urlsafe(32), KLA_LOG_LEVEL="INFO" if request_log else "WARNING")
    return env


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (Linux /proc; 0 elsewhere or once it has gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu(root_pid: int) -> float:
    """CPU seconds of a process and all its descendants (uvicorn's supervisor and its workers)."""
    return sum(cpu_seconds(pid) for pid in [root_pid, *descendants(root_pid)])


def postgres_backend_cpu() -> float:
    """CPU seconds of the PostgreSQL backends serving kla_load now (those that already ended are missed)."""
    total = 0.0
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return 0.0
    for entry in entries:
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                title = handle.read().replace(b"\0", b" ")
        except OSError:
            continue
        if title.startswith(b"postgres:") and f" {DB_NAME} ".encode() in title:
            total += cpu_seconds(int(entry))
    return total


def pg_active_ms(admin: str) -> float:
    """Milliseconds the backends of kla_load spent executing statements (pg_stat_database, PostgreSQL 14+)."""
    try:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("SELECT pg_stat_clear_snapshot()")
            row = connection.execute("SELECT active_time FROM pg_stat_database WHERE datname = %s",
                                     (DB_NAME,)).fetchone()
    except psycopg.Error:
        return float("nan")
    return float(row[0]) if row and row[0] is not None else float("nan")


@dataclass
class DbWatch:
    """What the backends of kla_load were doing, sampled from pg_stat_activity during the load."""

    peak: int = 0  # most backends connected at once (-1: could not watch)
    samples: int = 0
    busy: Counter = field(default_factory=Counter)  # "waiting: Lock/advisory" or "running", per backend sample

    def summary(self, top: int = 4) -> str:
        seen = sum(self.busy.values())
        if not self.samples or not seen:
            return "no statement in flight when sampled"
        parts = [f"{what} {100 * n / seen:.0f} %" for what, n in self.busy.most_common(top)]
        return (f"{seen / self.samples:.1f} statements in flight on average; of those: " + ", ".join(parts))


async def watch_database(admin: str, stop: asyncio.Event, watch: DbWatch) -> None:
    """Sample kla_load's backends ten times a second: how many, and what the busy ones wait for."""
    query = ("SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
             "WHERE datname = %s AND pid <> pg_backend_pid()")
    try:
        async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as connection:
            while not stop.is_set():
                rows = await (await connection.execute(query, (DB_NAME,))).fetchall()
                watch.peak = max(watch.peak, len(rows))
                watch.samples += 1
                for state, kind, event in rows:
                    if state == "active":
                        watch.busy["running" if kind is None else f"waiting: {kind}/{event}"] += 1
                    elif state and state.startswith("idle in transaction"):
                        watch.busy["idle in transaction (app side)"] += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=0.1)
    except psycopg.Error:
        watch.peak = -1


# -- the people's requests ------------------------------------------------------------------


def version_in(text: str, question: Question) -> int | None:
    return next((int(v) for d, v in VERSION_RE.findall(text) if d == question.dom_id), None)


def short(response: Response) -> str:
    return f"{response.status_code}: {TAGS_RE.sub(' ', response.text)[:160].strip()}"


class Load:
    """The measured part: per-action and overall results, the people's state."""

    def __init__(self, year: int, think: float, seed: int) -> None:
        self.year = year
        self.think = think
        self.results = {kind: Result(kind) for kind in ACTIONS}
        self.overall = Result("overall")
        self.results["save"].target_p95_ms = SAVE_TARGET_MS
        self.seed = seed
        self.run_tag = secrets.token_hex(4)
        self.reread_failures = 0

    def workspace(self, person: Person) -> str:
        return f"/r/{person.regency}/{self.year}/isian"

    def note(self, kind: str, elapsed: float, ok: bool, size: int, problem: str) -> None:
        for result in (self.results[kind], self.overall):
            result.latencies.append(elapsed)
            result.bytes_in += size
            if not ok:
                result.note_error(problem)

    async def read_version(self, person: Person, question: Question) -> None:
        """The question's current version from its card (not measured)."""
        try:
            card = await person.client.get(f"{self.workspace(person)}/{question.code}", headers={"HX-Request": "true"})
            version = version_in(card.text, question) if card.status_code == 200 else None
        except HTTPError:
            version = None
        if version is None:
            self.reread_failures += 1
            return
        question.version = version
        question.unsure = False

    async def save(self, person: Person) -> None:
        question = person.questions[person.turn % len(person.questions)]
        person.turn += 1
        if question.unsure:
            await self.read_version(person, question)
        question.attempts += 1
        note = f"load {self.run_tag} {person.username} {question.code} #{question.attempts}"
        answer = question.choices[(question.attempts + person.turn) % len(question.choices)]
        form = {"version": str(question.version), "note": note, **answer}
        headers = {"HX-Request": "true", "X-CSRF-Token": person.csrf}
        start = time.perf_counter()
        try:
            response = await person.client.post(f"{self.workspace(person)}/{question.code}", data=form, headers=headers)
        except asyncio.CancelledError:  # the run was aborted while this save was under way
            question.unknown += 1
            question.unsure = question.unsure_after_last_ok = True
            raise
        except HTTPError as exc:
            self.note("save", time.perf_counter() - start, False, 0, f"POST {question.code}: {type(exc).__name__}")
            question.unknown += 1
            question.unsure = question.unsure_after_last_ok = True
            return
        elapsed = time.perf_counter() - start
        if response.status_code == 200:
            version = version_in(response.text, question)
            if version is not None:
                if version != question.version + 1:
                    question.anomalies.append(f"saved from version {question.version}, got {version}")
                question.version = version
                question.ok_saves += 1
                question.last_ok = (version, note, answer)
                question.unsure_after_last_ok = False
                self.note("save", elapsed, True, len(response.content), "")
                return
            problem = "200 without the out-of-band version input"
            question.unknown += 1
            question.unsure = question.unsure_after_last_ok = True
        else:
            problem = short(response)
            if response.status_code >= 500:  # it may have failed after the commit (e.g. rendering the reply)
                question.unknown += 1
                question.unsure = question.unsure_after_last_ok = True
        self.note("save", elapsed, False, len(response.content), f"POST {question.code}: {problem}")
        if response.status_code == 409:  # cannot happen with the split; pick up the version and go on
            await self.read_version(person, question)

    async def upload(self, person: Person) -> None:
        saved = [q for q in person.questions if q.version >= 1]
        if not saved:  # nothing saved yet (its first save failed): save instead
            await self.save(person)
            return
        question = saved[random.Random(f"{self.seed}-{person.username}-{person.upload_count}").randrange(len(saved))]
        person.upload_count += 1
        title = f"Bukti dukung {question.code} - {person.regency} - {self.year}"
        body = f"{person.username} upload {person.upload_count}, run {self.run_tag}, {secrets.token_hex(8)}"
        content = sample_pdf(title, body)
        name = f"bukti-{question.code}-{person.upload_count}.pdf"
        headers = {"HX-Request": "true", "X-CSRF-Token": person.csrf}
        start = time.perf_counter()
        try:
            response = await person.client.post(f"{self.workspace(person)}/{question.code}/bukti",
                                                 files={"files": (name, content, "application/pdf")}, headers=headers)
        except HTTPError as exc:
            self.note("upload", time.perf_counter() - start, False, 0, f"upload {question.code}: {type(exc).__name__}")
            return
        elapsed = time.perf_counter() - start
        ok = response.status_code == 200
        if ok:
            person.uploads.append((question.code, hashlib.sha256(content).hexdigest(), name))
        self.note("upload", elapsed, ok, len(response.content), "" if ok else f"upload {question.code}: {short(response)}")

    async def view(self, person: Person, kind: str) -> None:
        path = f"/r/{person.regency}/{self.year}/" + ("dasbor" if kind == "dashboard" else "isian")
        start = time.perf_counter()
        try:
            response = await person.client.get(path)
        except HTTPError as exc:
            self.note(kind, time.perf_counter() - start, False, 0, f"GET {path}: {type(exc).__name__}")
            return
        ok = response.status_code == 200
        self.note(kind, time.perf_counter() - start, ok, len(response.content), "" if ok else f"GET {path}: {short(response)}")

    async def run_person(self, person: Person) -> None:
        rng = random.Random(f"{self.seed}-{person.username}")
        if self.think:  # people do not all start at the same instant
            await asyncio.sleep(self.think * rng.random())
        for i, kind in enumerate(person.plan):
            if kind == "save":
                await self.save(person)
            elif kind == "upload":
                await self.upload(person)
            else:
                await self.view(person, kind)
            if self.think and i < len(person.plan) - 1:
                await asyncio.sleep(self.think * rng.uniform(0.5, 1.5))


def sample_pdf(title: str, body: str) -> bytes:
    from app.services.demo import sample_pdf as make

    return make(title, body)


async def log_in(person: Person, password: str, year: int, gate: asyncio.Semaphore, login: Result) -> None:
    landing = f"/r/{person.regency}/{year}/" + ("isian" if person.role == "opd" else "dasbor")
    async with gate:
        start = time.perf_counter()
        await login_client(person.client, person.username, password, landing)
        login.latencies.append(time.perf_counter() - start)
        if person.role == "opd":  # the CSRF token lives in the session: read it from the first page
            page = await person.client.get(landing)
            token = PAGE_CSRF_RE.search(page.text)
            if page.status_code != 200 or not token:
                raise BenchAborted(f"{person.username}: {landing} answered {page.status_code} without a CSRF token")
            person.csrf = html.unescape(token.group(1))


async def measure(args, world: World, app_url: str, server: Server, admin: str, budget: Budget) -> dict:
    timeout = args.timeout
    for person in world.people:
        person.client = Client(app_url, timeout)
    load = Load(world.year, args.think_ms / 1000, args.seed)
    login = Result("login (set-up)")
    stop = asyncio.Event()
    watch = DbWatch()
    watcher = None
    try:
        gate = asyncio.Semaphore(args.login_concurrency)
        start = time.perf_counter()
        await gather_within(budget, "logging in",
                            lambda p: log_in(p, world.password, world.year, gate, login), world.people)
        login.wall = time.perf_counter() - start
        print(f"logged in: {len(world.people)} people in {login.wall:.1f} s "
              f"(at most {args.login_concurrency} at a time)", flush=True)
        watcher = asyncio.create_task(watch_database(admin, stop, watch))
        pg_active = pg_active_ms(admin)
        cpu_server, cpu_pg, cpu_client = process_tree_cpu(server.process.pid), postgres_backend_cpu(), time.process_time()
        load_before, machine_before = load_average(), cpu_times()
        print(f"measuring: {args.requests} requests, "
              f"{'back to back' if not args.think_ms else f'pause ~{args.think_ms:.0f} ms'} ...", flush=True)
        start = time.perf_counter()
        aborted = None
        try:
            await gather_within(budget, "the measured load", load.run_person, world.people)
        except BenchAborted as exc:  # keep what was measured so far: it says why the time ran out
            aborted = str(exc)
        wall = time.perf_counter() - start
        cpu = {"server": process_tree_cpu(server.process.pid) - cpu_server, "pg": postgres_backend_cpu() - cpu_pg,
               "client": time.process_time() - cpu_client}
        for result in (*load.results.values(), load.overall):
            result.wall = wall
        return {"load": load, "login": login, "wall": wall, "cpu": cpu, "load_before": load_before,
                "load_after": load_average(), "stolen": stolen_share(machine_before, cpu_times()), "watch": watch,
                "aborted": aborted, "pg_active": pg_active}
    finally:
        stop.set()
        if watcher is not None:
            await asyncio.gather(watcher, return_exceptions=True)
        await asyncio.gather(*(p.client.aclose() for p in world.people if p.client), return_exceptions=True)


# -- afterwards: what the database and the disk hold ----------------------------------------


def verify(url: str, evidence_dir: Path, world: World) -> dict:
    from sqlalchemy import func
    from sqlmodel import Session, select

    from app.db import make_engine
    from app.evidence import EvidenceStore
    from app.models import Answer, AuditEntry, Evidence, StoredFile
    from app.services.audit import verify_chain

    store = EvidenceStore(evidence_dir, 1024 * 1024 * 1024)
    report = {"saves_ok": 0, "saves_confirmed": 0, "saves_unknown": 0, "saves_unsure": 0, "lost": [], "anomalies": [],
              "files_ok": 0, "files_confirmed": 0, "file_problems": []}
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            for person in world.people:
                for q in person.questions:
                    report["anomalies"] += [f"{person.username} {q.code}: {a}" for a in q.anomalies]
                    report["saves_unsure"] += q.unknown
                    if q.ok_saves == 0:
                        continue
                    report["saves_ok"] += q.ok_saves
                    if q.unsure_after_last_ok:  # a later save's outcome is unknown: cannot judge the last state
                        report["saves_unknown"] += q.ok_saves
                        continue
                    row = session.exec(select(Answer).where(Answer.assessment_id == person.assessment_id,
                                                            Answer.question_code == q.code)).first()
                    version, note, answer = q.last_ok
                    problem = None
                    if row is None:
                        problem = "no answer row"
                    elif row.version != version:
                        problem = f"version {row.version}, expected {version} (the last save answered 200)"
                    elif not q.ok_saves <= row.version <= q.ok_saves + q.unknown:
                        problem = (f"version {row.version} after {q.ok_saves} saves answered 200 and {q.unknown} "
                                   "with an unknown outcome")
                    elif row.note != note:
                        problem = f"note {row.note!r}, expected {note!r}"
                    elif "option" in answer and (row.option != answer["option"] or row.value is not None):
                        problem = f"option {row.option!r}, expected {answer['option']!r}"
                    elif "value" in answer and (row.value is None or Decimal(row.value) != Decimal(answer["value"])):
                        problem = f"value {row.value!r}, expected {answer['value']!r}"
                    if problem:
                        report["lost"].append(f"{person.username} {q.code}: {problem}")
                    else:
                        report["saves_confirmed"] += q.ok_saves
                for code, sha256, name in person.uploads:
                    report["files_ok"] += 1
                    row = session.exec(
                        select(Evidence).join(Answer, Answer.id == Evidence.answer_id)
                        .where(Answer.assessment_id == person.assessment_id, Answer.question_code == code,
                               Evidence.sha256 == sha256, Evidence.removed_at.is_(None))
                    ).first()
                    if row is None:
                        report["file_problems"].append(f"{person.username} {code} {name}: no Evidence row")
                    elif session.get(StoredFile, sha256) is None:
                        report["file_problems"].append(f"{person.username} {code} {name}: no StoredFile row")
                    elif not store.verify(sha256):
                        report["file_problems"].append(f"{person.username} {code} {name}: file missing or altered")
                    else:
                        report["files_confirmed"] += 1
            audit = dict(session.exec(select(AuditEntry.action, func.count(AuditEntry.id))
                                      .group_by(AuditEntry.action)).all())
            report["audit_saves"] = audit.get("answer.save", 0)
            report["audit_uploads"] = audit.get("evidence.upload", 0)
            report["answers"] = session.exec(select(func.count(Answer.id))).one()
            report["evidence_rows"] = session.exec(select(func.count(Evidence.id))).one()
            chain = verify_chain(session)
            report["chain"] = ("intact" if chain.broken_id is None
                               else f"BROKEN at #{chain.broken_id} ({chain.problem})") + f", {chain.checked} entries"
    finally:
        engine.dispose()
    return report


# -- the report ----------------------------------------------------------------------------


def print_report(args, world: World, counts: dict, figures: dict, check: dict, times: dict,
                 server: Server) -> None:
    load: Load = figures["load"]
    results = [load.results[kind] for kind in ACTIONS] + [load.overall]
    n = max(load.overall.requests, 1)
    cpu = figures["cpu"]
    print()
    print(f"machine: {machine_info()}")
    print(f"         {figures['load_before']} before measuring; {figures['load_after']} after")
    print(f"         {figures['stolen']} during the measured part")
    from app.config import Settings

    active = args.active_requests or Settings.model_fields["active_requests"].default
    print(f"server:  kla serve --workers {args.workers} --no-access-log (uvicorn), KLA_ENVIRONMENT=test, "
          f"KLA_ACTIVE_REQUESTS={active} (requests inside the app at once per worker; the rest queue)")
    print(f"db:      PostgreSQL {DB_NAME} on {make_url(args.pg).host}; app pool per worker: {active} + 5 overflow; "
          f"peak backends on {DB_NAME}: {figures['watch'].peak if figures['watch'].peak >= 0 else 'not known'} "
          "(pg_stat_activity ten times a second; overflow connections are opened and closed all the time)")
    print(f"data:    {world.regencies} kab/kota with assessments for {world.year}; {len(world.people)} accounts "
          f"({sum(p.role == 'dp3a' for p in world.people)} DP3A, {sum(p.role == 'opd' for p in world.people)} OPD: "
          f"{', '.join(OPD_ROLES)}); password {world.password}")
    print(f"         {world.questions_shared} questions split among the OPD people (up to {args.per_person} each, "
          f"no question shared)")
    pace = f"pause ~{args.think_ms:.0f} ms (0.5x..1.5x) between requests" if args.think_ms else "back to back"
    print(f"load:    {len(world.people)} concurrent people, closed loop, {pace}; {args.requests} requests dealt out: "
          + ", ".join(f"{counts[k]} {k}" for k in ACTIONS)
          + " (an upload before any save of one's own succeeded becomes a save)")
    print(f"time:    set-up {times['setup']:.1f} s, login {figures['login'].wall:.1f} s, measuring "
          f"{figures['wall']:.1f} s, checks {times['verify']:.1f} s, whole run {times['total']:.1f} s")
    login = figures["login"]
    print(f"login:   {login.requests} logins (set-up, not measured): p50 {login.ms(50):.0f} ms, "
          f"p95 {login.ms(95):.0f} ms, max {login.ms(100):.0f} ms")
    if figures["aborted"]:
        print(f"ABORTED during the measured load after {load.overall.requests} of {args.requests} requests: "
              "the figures below are what was measured until then")
    print()
    print(table(results))
    print_details(results)
    print()
    print(f"cpu:     server processes {cpu['server']:.1f} s = {1000 * cpu['server'] / n:.1f} ms per request; "
          f"PostgreSQL backends at least {cpu['pg']:.1f} s = {1000 * cpu['pg'] / n:.1f} ms per request; "
          f"load client {cpu['client']:.1f} s (same machine)")
    print(f"         server CPU use {cpu['server'] / figures['wall']:.2f} cores on average over the measured part; "
          f"PostgreSQL statements active {figures['pg_active'] / 1000:.1f} s = {figures['pg_active'] / n:.1f} ms "
          "per request (pg_stat_database.active_time: wall time, an upper bound of its CPU)")
    print(f"         {figures['watch'].summary()}")
    if load.reread_failures:
        print(f"         {load.reread_failures} version re-reads (after a 409 or an unknown outcome) failed")
    server_errors = [line for line in server.log_tail(10**6).splitlines() if line.startswith("ERROR")]
    causes = sorted({line.split(":", 1)[0] for line in server.log_tail(10**6).splitlines()
                     if re.match(r"^[A-Za-z_.]+(Error|Exception|Disconnect)\b", line)})
    if server_errors:
        print(f"server log: {len(server_errors)} errors; causes: {', '.join(causes) or 'see the log'}")
    print()
    lost = len(check["lost"])
    print(f"saves confirmed {check['saves_confirmed']}/{check['saves_ok']}"
          + (f" ({check['saves_unknown']} not judged: a later save of the same question had an unknown outcome)"
             if check["saves_unknown"] else "")
          + f", files confirmed {check['files_confirmed']}/{check['files_ok']}")
    unsure = check["saves_unsure"]
    audit_ok = check["saves_ok"] <= check["audit_saves"] <= check["saves_ok"] + unsure
    print(f"         audit log: {check['audit_saves']} answer.save entries for {check['saves_ok']} saves answered 200"
          + (f" and {unsure} with an unknown outcome (timeout, 5xx)" if unsure else "")
          + f" ({'consistent' if audit_ok else 'INCONSISTENT'}); {check['audit_uploads']} evidence.upload entries "
          f"for {check['files_ok']} uploads answered 200; hash chain {check['chain']}")
    print(f"         database: {check['answers']} answers, {check['evidence_rows']} evidence rows")
    for problem in (check["lost"] + check["file_problems"] + check["anomalies"])[:10]:
        print(f"    problem: {problem}")
    errors = load.overall.errors
    save = load.results["save"]
    verdicts = [
        ("save p95 <= 100 ms", save.requests and save.ms(95) <= SAVE_TARGET_MS, f"{save.ms(95):.1f} ms"),
        ("0 errors", errors == 0, f"{errors} of {load.overall.requests}"),
        ("0 lost writes", lost == 0 and not check["file_problems"] and audit_ok and check["saves_ok"] > 0,
         f"{lost} lost saves, {len(check['file_problems'])} file problems"),
    ]
    print("targets: " + "; ".join(f"{name}: {'PASS' if ok else 'FAIL'} ({detail})" for name, ok, detail in verdicts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=4000, help="measured requests in all (4000)")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="mean pause of a person between two requests, in ms (0: back to back)")
    parser.add_argument("--workers", type=int, default=2, help="kla serve --workers (2)")
    parser.add_argument("--regencies", type=int, default=50,
                        help="kab/kota with an assessment and 4 accounts each (50: 200 people)")
    parser.add_argument("--per-person", type=int, default=8, help="questions each OPD person saves in turn (8)")
    parser.add_argument("--login-concurrency", type=int, default=20, help="logins at the same time (20)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, in seconds (30)")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="abort the whole run after this (300)")
    parser.add_argument("--pg", default=DEFAULT_PG,
                        help=f"the PostgreSQL server, loopback only ({DEFAULT_PG}); the database is always {DB_NAME}")
    parser.add_argument("--active-requests", type=int, default=0,
                        help="KLA_ACTIVE_REQUESTS for the server (0: the app's default)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--request-log", action="store_true",
                        help="the server logs one JSON line per request with its duration (kla-server.log; "
                             "with --keep, to compare server and client times)")
    parser.add_argument("--keep", action="store_true",
                        help=f"keep the database {DB_NAME} and the temporary folder (data, server log)")
    args = parser.parse_args()
    if not (1 <= args.requests <= 100_000 and 0 <= args.think_ms <= 10_000 and 1 <= args.workers <= 8
            and 1 <= args.regencies <= 100 and 1 <= args.per_person <= 50 and 1 <= args.login_concurrency <= 50
            and 1 <= args.timeout <= 120 and 10 <= args.max_seconds <= 3600 and 0 <= args.active_requests <= 200):
        parser.error("out of bounds: --requests 1..100000, --think-ms 0..10000, --workers 1..8, --regencies 1..100, "
                     "--per-person 1..50, --login-concurrency 1..50, --timeout 1..120, --max-seconds 10..3600, --active-requests 0..200")
    target_url, admin = pg_urls(args.pg)
    # A plain `kill` ends the run through the same clean-up as an abort (server stopped, kla_load dropped).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    database_url = target_url.render_as_string(hide_password=False)

    run_start = time.monotonic()
    budget = Budget(args.max_seconds)
    workdir = Path(tempfile.mkdtemp(prefix="kla-bench-loadpg-"))
    data_dir = workdir / "data"
    started: list[Server] = []
    created = False
    aborted = False
    figures = None
    try:
        print(f"set-up: database {DB_NAME} (drop, create, kla db upgrade) ...", flush=True)
        recreate_database(admin)
        created = True
        env = server_env(database_url, data_dir, args.request_log)
        run_kla(["db", "upgrade"], env, budget, cwd=ROOT)
        print(f"set-up: regions, {args.regencies} kab/kota with agencies, assessments and accounts ...", flush=True)
        world = build_world(database_url, args.regencies, args.per_person, budget)
        counts = deal_plans(world.people, args.requests, args.seed)
        port = free_port()
        command = kla_command() + ["serve", "--port", str(port), "--workers", str(args.workers), "--no-access-log"]
        if args.active_requests:
            env["KLA_ACTIVE_REQUESTS"] = str(args.active_requests)
        server = start_server("kla serve", command, port, workdir / "kla-server.log", cwd=ROOT, env=env)
        started.append(server)
        waited = wait_ready(server, "/ready", budget, limit=60.0)
        print(f"set-up: kla serve ready on {server.url} after {waited:.1f} s", flush=True)
        setup_took = time.monotonic() - run_start
        figures = asyncio.run(measure(args, world, server.url, server, admin, budget))
        stop_server_tree(server)  # every request has ended: what the database holds now is final
        figures["pg_active"] = pg_active_ms(admin) - figures["pg_active"]
        # The checks read what this run wrote (seconds): they run after an abort too, to show what was kept.
        verify_start = time.monotonic()
        check = verify(database_url, data_dir / "evidence", world)
        times = {"setup": setup_took, "verify": time.monotonic() - verify_start, "total": time.monotonic() - run_start}
        print_report(args, world, counts, figures, check, times, server)
        if figures["aborted"]:
            raise BenchAborted(figures["aborted"])
    except (BenchAborted, psycopg.Error) as exc:
        aborted = True
        print(f"ABORTED: {'PostgreSQL: ' if isinstance(exc, psycopg.Error) else ''}{exc}", file=sys.stderr)
        if started and figures is None:  # the report did not show what the server said
            print(f"server log (last lines):\n{started[0].log_tail()}", file=sys.stderr)
    finally:
        for started_server in reversed(started):
            stop_server_tree(started_server)
        cleanup(args, admin, created, workdir)
    if aborted:
        sys.exit(1)


def cleanup(args, admin: str, created: bool, workdir: Path) -> None:
    if args.keep:
        print(f"kept: database {DB_NAME}, folder {workdir}")
        return
    if created:
        try:
            drop_database(admin)
        except psycopg.Error as exc:
            print(f"could not drop {DB_NAME}: {exc}", file=sys.stderr)
    remove_dir(workdir)


if __name__ == "__main__":
    main()
