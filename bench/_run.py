"""The run-and-report scaffolding the HTTP benchmarks share: the load options, one run in a
temporary folder (servers stopped and the folder removed however it ends), a server given by
--url, and the lines that say under which conditions the figures were taken.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench._http import (
    BARE_PATH,
    BenchAborted,
    Budget,
    NoProcess,
    Server,
    load_average,
    machine_info,
    remove_dir,
    require_loopback,
    stop_server,
    wait_ready,
)

SQLITE_DB = "SQLite, WAL (the kla serve default: kla.sqlite3 in a temporary KLA_DATA_DIR)"
GIVEN_DB = "not known (server given by --url)"


def load_options(parser: argparse.ArgumentParser) -> None:
    """How many requests, by how many simulated users, after how many unmeasured ones."""
    parser.add_argument("--requests", type=int, default=400, help="measured requests per scenario (400)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent simulated users (20)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests per user and scenario (3)")


def pace_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--think-ms", type=float, default=1000.0,
                        help="mean pause of a user between two measured requests, in ms (1000: people at work; "
                             "0: back to back, the saturation test)")


def workers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=1, help="kla serve --workers (1)")


def run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="an already running server (loopback only); skips the setup")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data and server logs)")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="abort the whole run after this (300)")


@dataclass
class Run:
    """One benchmark run: its folder, its time budget, the servers it started (stopped at the end)."""

    workdir: Path
    budget: Budget
    started: list[Server] = field(default_factory=list)
    began: float = field(default_factory=time.monotonic)

    def given_server(self, url: str) -> str:
        """A server started by someone else (--url): on loopback, and answering /health."""
        given = require_loopback(url)
        wait_ready(Server("server at --url", NoProcess(), given, self.workdir / "none.log"), "/health", self.budget, 10)
        return given


@contextmanager
def bench_run(prefix: str, max_seconds: float, keep: bool) -> Iterator[Run]:
    """A run in a fresh temporary folder; an abort prints why and exits 1; the servers are stopped
    and the folder removed (or named, with --keep) however the run ends."""
    run = Run(Path(tempfile.mkdtemp(prefix=prefix)), Budget(max_seconds))
    try:
        yield run
    except BenchAborted as exc:
        print(f"ABORTED: {exc}", file=sys.stderr)
        sys.exit(1)
    finally:
        for server in reversed(run.started):
            stop_server(server)
        if keep:
            print(f"kept: {run.workdir}")
        else:
            remove_dir(run.workdir)


def pace(think_ms: float) -> str:
    return f"pause ~{think_ms:.0f} ms between requests" if think_ms else "back to back"


def print_conditions(*, server: str, baseline: str, db_kind: str, load_before: str | None = None,
                     data_note: str | None = None) -> None:
    """The head of the report: the machine, the server and baseline, the database, the data."""
    print()
    print(f"machine: {machine_info()}")
    if load_before is not None:
        print(f"         {load_before} before measuring; {load_average()} after")
    print(f"server:  {server}; baseline: bare FastAPI GET {BARE_PATH} on {baseline}")
    print(f"db:      {db_kind}")
    if data_note is not None:
        print(f"data:    {data_note}")


def served_by(url: str | None, workers: int) -> str:
    """What answered: `kla serve` with its workers, or the server given by --url."""
    return url or f"kla serve (uvicorn, {workers} worker{'s' if workers > 1 else ''})"


def time_line(measure_took: float, run: Run) -> str:
    return f"time:    measuring {measure_took:.1f} s, whole run {time.monotonic() - run.began:.1f} s"
