"""Browser tests: the real app (`kla demo` + `kla serve`) driven by Debian's Chromium through Playwright.

Everything here is session-scoped where it is expensive: one demo database, one server, one
browser. Each test gets a fresh browser context (no shared cookies). Screenshots and the axe
reports are kept in test-artifacts/browser/ at the repository root.

Nothing is ever downloaded for the browser: Playwright launches /usr/bin/chromium. axe-core
comes from npm (tests/package.json), installed into tests/node_modules when missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.browser.helpers import AXE_TAGS, BLOCKING_IMPACTS, guard_failures, watch_errors, watched_context

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TESTS = REPO / "tests"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "browser"
AXE_JS = TESTS / "node_modules" / "axe-core" / "axe.min.js"

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}
TIMEOUT_MS = 10_000  # the longest any single wait in these tests may take

DEMO_TIMEOUT_S = 120
HEALTH_TIMEOUT_S = 30
NPM_TIMEOUT_S = 180
LOG_TAIL_LINES = 60
LIVE_LOGS: dict[str, Path] = {}  # "server"/"runner" -> the live server's log files, once it runs


# -- marking and skipping ------------------------------------------------------------------


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "axe: the test also reads axe-core's full report of a page (check_axe); every browser test already "
        "fails on axe's serious and critical findings, console errors and CSP refusals (helpers.guard)",
    )


def pytest_collection_modifyitems(config, items):
    """Mark every test of this folder `browser`; skip them all when Debian's Chromium is missing.

    This hook sees the items of the whole session, so it only touches the ones under this folder.
    """
    no_chromium = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) "
        "to run the browser tests; Playwright's own browser download is never used"
    )
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if not CHROMIUM.exists():
            item.add_marker(no_chromium)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    guard_failures()  # forget the contexts of an earlier test
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Zero tolerance: after the test body, every page it visited must have been free of console errors,
    CSP refusals and axe-core serious/critical findings (helpers.guard watches each browser context)."""
    result = yield
    failures = guard_failures()
    if failures:
        pytest.fail("what a user must never meet, seen during the test:\n" + "\n".join(failures), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so that page fixtures can screenshot a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    if report.failed and report.when == "call":
        # A failure seen only in CI (a save that never answered) cannot be read off the screenshot: the
        # server's and the runner's last lines say which requests came, how they ended and how long they took.
        for name, path in LIVE_LOGS.items():
            with contextlib.suppress(OSError):
                tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL_LINES:]
                report.sections.append((f"last lines of the {name} log", "\n".join(tail)))
    return report


# -- artefacts ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/browser/ under the repository root, emptied of the previous run's files."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.iterdir():
        if old.is_file() and old.suffix in (".png", ".json", ".log", ".txt"):
            old.unlink()
    return ARTIFACTS


# -- the real app ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and json.loads(response.read()).get("status") == "ok"
    except (urllib.error.URLError, OSError, ValueError):
        return False


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, artifacts):
    """`kla demo` then `kla serve` in a temporary data folder (SQLite), as a user would start it."""
    kla = Path(sys.executable).parent / "kla"
    if not kla.exists():
        pytest.fail(f"the `kla` command is missing next to {sys.executable}: pip install -e '.[dev]'")
    data_dir = tmp_path_factory.mktemp("kla-live")
    env = {k: v for k, v in os.environ.items() if k != "KLA_DATABASE_URL"}  # unset: SQLite in the data dir
    # INFO: one JSON line per request with its status and duration, read back when a test fails.
    env.update(KLA_DATA_DIR=str(data_dir), KLA_MAX_UPLOAD_MB="5", KLA_ENVIRONMENT="development",
               PYTHONUNBUFFERED="1", KLA_LOG_LEVEL="INFO")

    try:
        demo = subprocess.run([str(kla), "demo"], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=DEMO_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`kla demo` did not finish within {DEMO_TIMEOUT_S} s")
    (artifacts / "kla-demo.log").write_text(demo.stdout + demo.stderr, encoding="utf-8")
    if demo.returncode != 0:
        pytest.fail(f"`kla demo` failed ({demo.returncode}):\n{demo.stdout[-2000:]}\n{demo.stderr[-4000:]}")

    # issue 24, runner: what fell due in the demo's data (deadlines past) is done before the server warms
    # its caches, so that the runner beside it does not make every cached figure stale at the first page.
    once = subprocess.run([str(kla), "jobs", "run", "--once"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=DEMO_TIMEOUT_S)
    if once.returncode != 0:
        pytest.fail(f"`kla jobs run --once` failed ({once.returncode}):\n{once.stderr[-4000:]}")

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = data_dir / "server.log"
    log = log_path.open("w", encoding="utf-8")
    server = subprocess.Popen([str(kla), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=REPO, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    # issue 24, runner: the job runner next to it, as scripts/run.sh starts it (the national workbook).
    runner_log_path = data_dir / "runner.log"
    runner_log = runner_log_path.open("w", encoding="utf-8")
    runner = subprocess.Popen([str(kla), "jobs", "run", "--poll", "1"], cwd=REPO, env=env, stdout=runner_log,
                              stderr=subprocess.STDOUT)
    LIVE_LOGS.update(server=log_path, runner=runner_log_path)
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while not _healthy(f"{base}/health"):
            if server.poll() is not None:
                pytest.fail(f"`kla serve` exited with {server.returncode}:\n{log_path.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"`kla serve` did not answer /health within {HEALTH_TIMEOUT_S} s:\n"
                            f"{log_path.read_text()[-4000:]}")
            time.sleep(0.2)
        yield base
    finally:
        for process in (runner, server):  # issue 24, runner: the runner stops after the job in hand
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()
        runner_log.close()
        shutil.copyfile(log_path, artifacts / "kla-serve.log")
        shutil.copyfile(runner_log_path, artifacts / "kla-jobs.log")


# -- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    sync_api.expect.set_options(timeout=TIMEOUT_MS)
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            headless=True,
        )
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


def _page(browser, request, artifacts, viewport: dict, axe_source: str):
    # The app's CSP in force, as users see it; axe-core comes in as an init script, which the CSP does
    # not govern. Console errors, CSP refusals and axe findings fail the test (pytest_runtest_call).
    context = watched_context(browser, viewport)
    page = watch_errors(context.new_page())
    yield page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        with contextlib.suppress(Exception):  # the page may be gone; the failure itself is what matters
            page.screenshot(path=str(artifacts / f"FAILED-{_safe(request.node.name)}.png"), timeout=5_000,
                            caret="initial")
    context.close()


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)


@pytest.fixture
def desktop_page(browser, request, artifacts, axe_source):
    yield from _page(browser, request, artifacts, DESKTOP, axe_source)


@pytest.fixture
def phone_page(browser, request, artifacts, axe_source):
    yield from _page(browser, request, artifacts, PHONE, axe_source)


# -- axe-core -------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def axe_source() -> str:
    """The text of axe.min.js from tests/node_modules; `npm install` it once when missing."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("axe-core is not installed (tests/node_modules) and npm is unavailable: "
                        "the accessibility checks cannot run; install Node.js/npm and run "
                        "`npm install --prefix tests`")
        try:
            done = subprocess.run([npm, "install", "--prefix", str(TESTS), "--no-audit", "--no-fund",
                                   "--no-package-lock", "--loglevel=error"],
                                  cwd=REPO, capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`npm install --prefix tests` did not finish within {NPM_TIMEOUT_S} s")
        if done.returncode != 0 or not AXE_JS.exists():
            pytest.fail(f"`npm install --prefix tests` did not install axe-core:\n{done.stdout}\n{done.stderr}")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def check_axe(axe_source, artifacts):
    """check_axe(page, name) -> the serious and critical violations of the page as it is now.

    The full axe result is written to test-artifacts/browser/axe-<name>.json.
    """

    def check(page, name: str) -> list[dict]:
        """axe-core is in every page already (helpers.guard adds it as an init script).

        The whole result stays available as `check.last` (e.g. for axe's "incomplete" findings).
        """
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            pytest.fail("axe-core is missing from the page: use a page of the fixtures or helpers.new_person")
        result = page.evaluate(
            "async (tags) => await window.__klaAxeRun({runOnly: {type: 'tag', values: tags}, iframes: false})",
            AXE_TAGS,
        )
        (artifacts / f"axe-{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False),
                                                    encoding="utf-8")
        check.last = result
        return [v for v in result["violations"] if v.get("impact") in BLOCKING_IMPACTS]

    check.last = None
    return check

