"""Shared helpers for the HTTP benchmarks: servers in subprocesses, a closed-loop load
runner on asyncio + aiohttp, percentiles and the result table.

Everything stays on the loopback interface and is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import ipaddress
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import httpx

LOOPBACK = "127.0.0.1"

# The smallest FastAPI app there is: the floor any FastAPI route stands on, measured
# with the same client, concurrency and uvicorn settings as the app.
BARE_APP = '''"""Bare FastAPI baseline for the HTTP benchmarks (written by bench/_http.py)."""
from fastapi import FastAPI

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/ping")
def ping() -> dict:
    return {"status": "ok", "service": "bare"}
'''
BARE_PATH = "/ping"


class BenchAborted(Exception):
    """The run cannot go on (time budget spent, a server did not start, a login failed)."""


class Budget:
    """One deadline for the whole run; every wait takes at most what is left."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def check(self, what: str) -> float:
        left = self.left()
        if left <= 0:
            raise BenchAborted(f"time budget of {self.seconds:.0f} s spent ({what}); aborted")
        return left


# -- the simulated browser tab -----------------------------------------------------------------


class Response:
    """What a benchmark reads of an answer: status, body, headers (case-insensitive)."""

    __slots__ = ("status_code", "content", "headers")

    def __init__(self, status_code: int, content: bytes, headers) -> None:
        self.status_code = status_code
        self.content = content
        self.headers = headers

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class RequestTimeout(aiohttp.ClientError):
    """One request took longer than its client's timeout (not the run's time budget running out)."""


# A request that could not be sent or answered in time.
HTTPError = aiohttp.ClientError


class Client:
    """One browser tab: its own cookie jar and one keep-alive connection; redirects not followed.

    On aiohttp rather than httpx because the load generator shares the machine's cores with
    the server: measured on the bare endpoint, httpx spent 1.8 ms of CPU per request and
    aiohttp 0.3 ms, and the time a response waits for a busy client counts in its latency.
    """

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:  # created inside the running event loop, on first use
            self._session = aiohttp.ClientSession(
                # One connection, dropped after 5 s idle as httpx did (so a person pausing
                # longer reconnects and may land on the other worker).
                connector=aiohttp.TCPConnector(limit=1, keepalive_timeout=5.0),
                cookie_jar=aiohttp.CookieJar(unsafe=True),  # keep cookies set by 127.0.0.1 too
                timeout=self.timeout,
            )
        return self._session

    async def get(self, path: str, headers: dict | None = None) -> Response:
        return await self._request("GET", path, headers=headers)

    async def post(self, path: str, data: dict | None = None, files: dict | None = None,
                   headers: dict | None = None) -> Response:
        """`data` as a urlencoded form; with `files` ({field: (name, bytes, type)}) as multipart."""
        body = data
        if files:
            body = aiohttp.FormData()
            for name, value in (data or {}).items():
                body.add_field(name, value)
            for name, (filename, content, content_type) in files.items():
                body.add_field(name, content, filename=filename, content_type=content_type)
        return await self._request("POST", path, data=body, headers=headers)

    async def _request(self, method: str, path: str, **options) -> Response:
        url = path if path.startswith("http") else self.base_url + path
        try:
            async with self._open().request(method, url, allow_redirects=False, **options) as response:
                return Response(response.status, await response.read(), response.headers)
        except TimeoutError as exc:  # aiohttp's own timeout is the built-in one
            raise RequestTimeout(f"{method} {path}: no answer within {self.timeout.total:.0f} s") from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()


# -- addresses and servers ------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def require_loopback(url: str) -> str:
    """Refuse any address that is not this machine's loopback interface."""
    host = urlsplit(url).hostname or ""
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError
        except ValueError:
            raise SystemExit(f"only loopback addresses are allowed, not {host!r}") from None
    return url.rstrip("/")


@dataclass
class Server:
    """A server process started by the benchmark, its log file and its address."""

    name: str
    process: subprocess.Popen
    url: str
    log: Path

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def start_server(name: str, command: Sequence[str], port: int, log: Path, *, cwd: Path | None = None,
                 env: dict | None = None) -> Server:
    handle = open(log, "wb")  # noqa: SIM115 - the child owns it from here on
    try:
        process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    finally:
        handle.close()
    return Server(name, process, f"http://{LOOPBACK}:{port}", log)


def wait_ready(server: Server, path: str, budget: Budget, limit: float = 30.0) -> float:
    """Poll `path` until it answers 200; the seconds it took. Bounded by `limit` and the budget."""
    start = time.monotonic()
    allowed = min(limit, budget.check(f"waiting for {server.name}"))
    stop = start + allowed
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < stop:
            if server.process.poll() is not None:
                raise BenchAborted(f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}")
            try:
                if client.get(server.url + path).status_code == 200:
                    return time.monotonic() - start
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    why = "the time budget ran out" if allowed < limit else f"not within {limit:.0f} s"
    raise BenchAborted(f"{server.name} did not answer {path} ({why}):\n{server.log_tail()}")


def stop_server(server: Server | None) -> None:
    """Terminate the process we started (by its own handle), kill it if it lingers."""
    if server is None or server.process.poll() is not None:
        return
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=5)


def descendants(pid: int) -> list[int]:
    """The processes started by `pid`, their children and so on (Linux /proc; [] elsewhere)."""
    parents: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found: list[int] = []
    frontier = [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier and child not in found]
        found += children
        frontier = children
    return found


def stop_server_tree(server: Server | None, grace: float = 15.0) -> None:
    """Like stop_server, for a server with worker processes (uvicorn --workers N).

    The workers are looked up before the parent is told to stop; whatever of them is still
    running after `grace` seconds (a graceful shutdown waiting on stuck requests) is killed,
    so that no orphaned worker outlives the benchmark. Only processes started by our server.
    """
    if server is None:
        return
    children = {pid: _cmdline(pid) for pid in descendants(server.process.pid)} if server.process.poll() is None else {}
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)
    for pid, cmdline in children.items():
        if cmdline and _cmdline(pid) == cmdline:  # still the same process, not a reused pid
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def uvicorn_command(target: str, port: int) -> list[str]:
    """`python -m uvicorn` with the settings `kla serve` passes to uvicorn.run (1 worker, proxy headers)."""
    return [sys.executable, "-m", "uvicorn", target, "--host", LOOPBACK, "--port", str(port),
            "--workers", "1", "--proxy-headers"]


def start_bare_server(workdir: Path, budget: Budget, started: list[Server]) -> Server:
    """Write the bare app to `workdir` and serve it; the server joins `started` before the wait,
    so that the caller stops it whatever happens next."""
    (workdir / "bench_bare_app.py").write_text(BARE_APP, encoding="utf-8")
    port = free_port()
    server = start_server("bare FastAPI", uvicorn_command("bench_bare_app:app", port), port,
                          workdir / "bare-server.log", cwd=workdir, env=dict(os.environ))
    started.append(server)
    wait_ready(server, BARE_PATH, budget)
    return server


def remove_dir(path: Path | None) -> None:
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


# -- load -------------------------------------------------------------------------------


@dataclass
class Result:
    scenario: str
    latencies: list[float] = field(default_factory=list)  # seconds, successful and failed alike
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall: float = 0.0
    bytes_in: int = 0
    target_p95_ms: float | None = None

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / self.wall if self.wall else 0.0

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    def note_error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(message[:300])


# One measured request: returns (ok, response size in bytes, error text when not ok).
Request = Callable[[], Awaitable[tuple[bool, int, str]]]


async def closed_loop(scenario: str, users: Sequence[Request], total: int, warmup_each: int,
                      budget: Budget, think: float = 0.0) -> Result:
    """Each user sends one request at a time; `total` measured requests in all.

    First every user sends `warmup_each` requests that are not measured. Between
    two measured requests a user pauses `think` seconds on average (uniform 0.5x..1.5x,
    seeded; 0: back to back), and starts after a random part of one pause. A request that raises (timeout, reset) counts as an
    error like a bad status does.
    """
    result = Result(scenario)
    rng = random.Random(2024)

    async def one(request: Request, measured: bool) -> None:
        start = time.perf_counter()
        try:
            ok, size, problem = await request()
        except HTTPError as exc:
            ok, size, problem = False, 0, f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - start
        if measured:
            result.latencies.append(elapsed)
            result.bytes_in += size
            if not ok:
                result.note_error(problem)

    async def warm(request: Request) -> None:
        for _ in range(warmup_each):
            await one(request, measured=False)

    tickets = total

    async def run(request: Request) -> None:
        nonlocal tickets
        if think:  # users do not all start at the same instant
            await asyncio.sleep(think * rng.random())
        while tickets > 0:
            tickets -= 1
            await one(request, measured=True)
            if think and tickets > 0:
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    await gather_within(budget, f"{scenario} warm-up", warm, users)
    start = time.perf_counter()
    await gather_within(budget, scenario, run, users)
    result.wall = time.perf_counter() - start
    return result


async def gather_within(budget: Budget, what: str, step: Callable[[object], Awaitable], items: Sequence) -> None:
    """Run `step(item)` for every item at once; abort when the budget runs out first."""
    left = budget.check(what)  # before any coroutine exists: nothing is left un-awaited
    try:
        await asyncio.wait_for(asyncio.gather(*(step(item) for item in items)), timeout=left)
    except TimeoutError:
        raise BenchAborted(f"time budget of {budget.seconds:.0f} s spent during {what}; aborted") from None


# -- figures ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def machine_info() -> str:
    cpus = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cpus
    return (f"{platform.system()} {platform.machine()}, {cpus} CPUs ({usable} usable), "
            f"Python {platform.python_version()}, aiohttp {aiohttp.__version__}")


def table(results: Sequence[Result]) -> str:
    header = (f"{'scenario':<22} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'p99 ms':>8} {'max ms':>8}  {'target':<14}")
    lines = [header, "-" * len(header)]
    for r in results:
        target = ""
        if r.target_p95_ms is not None:
            verdict = "PASS" if r.errors == 0 and r.ms(95) <= r.target_p95_ms else "FAIL"
            target = f"p95<={r.target_p95_ms:.0f} {verdict}"
        lines.append(
            f"{r.scenario:<22} {r.requests:>8} {r.errors:>6} {r.throughput:>8.1f} {r.ms(50):>8.1f} "
            f"{r.ms(95):>8.1f} {r.ms(99):>8.1f} {r.ms(100):>8.1f}  {target:<14}"
        )
    return "\n".join(lines)


# -- the app: kla commands, kla serve, logging in (used by http_review.py, http_compare.py) --------

DEMO_PASSWORD = "demo-kla-2024"  # app/services/demo.py
LOGIN_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def kla_command() -> list[str]:
    """The `kla` script of this venv (or `python -m app.cli` when it is not installed)."""
    script = Path(sys.executable).parent / "kla"
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def kla_env(data_dir: Path) -> dict:
    """The environment for `kla` commands on a private data folder (SQLite, development settings)."""
    env = dict(os.environ)
    env.update(KLA_DATA_DIR=str(data_dir), KLA_DATABASE_URL="", KLA_ENVIRONMENT="development")
    return env


def run_kla(args: Sequence[str], env: dict, budget: Budget, cwd: Path) -> str:
    """Run one `kla` command to its end within the budget; its output, or BenchAborted."""
    what = "kla " + " ".join(args)
    try:
        done = subprocess.run(kla_command() + list(args), cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=budget.check(what))
    except subprocess.TimeoutExpired:
        raise BenchAborted(f"{what} did not finish within the {budget.seconds:.0f} s budget; aborted") from None
    if done.returncode != 0:
        raise BenchAborted(f"{what} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def start_kla_serve(workdir: Path, env: dict, budget: Budget, started: list[Server], *, cwd: Path,
                    workers: int = 1, log_name: str = "kla-server.log") -> Server:
    """`kla serve` on a free loopback port; joins `started` before the wait (the caller stops it)."""
    port = free_port()
    command = kla_command() + ["serve", "--port", str(port), "--workers", str(workers)]
    server = start_server("kla serve", command, port, workdir / log_name, cwd=cwd, env=env)
    started.append(server)
    wait_ready(server, "/ready", budget, limit=60.0)  # ready: database checked and the scores cached
    return server


async def login_client(client: Client, username: str, password: str, next_path: str = "/") -> None:
    """Log one client in through the login form (its cookie jar keeps the session)."""
    page = await client.get("/masuk")
    match = LOGIN_CSRF_RE.search(page.text)
    if page.status_code != 200 or not match:
        raise BenchAborted(f"{username}: the login page answered {page.status_code} without a csrf_token")
    form = {"username": username, "password": password, "csrf_token": html.unescape(match.group(1)),
            "next": next_path}
    answer = await client.post("/masuk", data=form)
    if answer.status_code != 303:
        raise BenchAborted(f"{username}: login answered {answer.status_code}, not 303 (wrong password?)")


def get_request(client: Client, path: str) -> Request:
    """A measured GET that must answer 200."""

    async def request() -> tuple[bool, int, str]:
        response = await client.get(path)
        ok = response.status_code == 200
        return ok, len(response.content), "" if ok else f"GET {path}: {response.status_code}"

    return request


async def timed_get(client: Client, path: str) -> tuple[float, int, int]:
    """One GET: (seconds, status, bytes)."""
    start = time.perf_counter()
    response = await client.get(path)
    return time.perf_counter() - start, response.status_code, len(response.content)


def print_details(results: Sequence[Result]) -> None:
    """Response sizes and the first error samples under the table."""
    for r in results:
        size = r.bytes_in / r.requests / 1024 if r.requests else 0
        print(f"  {r.scenario}: {size:.1f} KiB per response")
        for sample in r.error_samples:
            print(f"    error: {sample}")


def load_average() -> str:
    """The machine's load average (1, 5, 15 min): other work on the machine skews the figures."""
    try:
        one, five, fifteen = os.getloadavg()
    except (AttributeError, OSError):
        return "load average not known"
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min) on {os.cpu_count()} CPUs"


def cpu_times() -> tuple[float, float] | None:
    """Seconds of CPU time the whole machine has counted so far (all cores): (total, stolen).
    Stolen time is time a virtual machine's cores were runnable but the hypervisor ran someone
    else (Linux /proc/stat; None elsewhere)."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu" or len(fields) < 9:
        return None
    ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    hz = os.sysconf("SC_CLK_TCK")
    return sum(ticks) / hz, ticks[7] / hz


def stolen_share(before: tuple[float, float] | None, after: tuple[float, float] | None) -> str:
    """The share of the machine's CPU time the hypervisor took between two `cpu_times()`: the
    figures of a run in which it took much are the machine's, not the app's."""
    if before is None or after is None or after[0] <= before[0]:
        return "CPU time stolen by the hypervisor: not known"
    return f"CPU time stolen by the hypervisor: {100 * (after[1] - before[1]) / (after[0] - before[0]):.1f} %"


class NoProcess:
    """Stands in for a process handle when the server was started by someone else (--url)."""

    returncode = None

    def poll(self):
        return None
