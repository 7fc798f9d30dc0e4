"""What the browser tests share: logging in, finding open questions, answering, reporting axe results."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from app.services.demo import DEMO_PASSWORD
from scoring import Answer as ScoredAnswer
from scoring import format_points

OPD_USER = "dinkes.palangkaraya"  # Operator DINKES of Kota Palangka Raya (62.71)
PASSWORD = DEMO_PASSWORD
WORKSPACE_URL = re.compile(r"/r/62\.71/\d{4}/isian$")
SAVED = re.compile(r"Tersimpan \d{2}:\d{2} WIB")


@dataclass(frozen=True)
class Question:
    code: str  # "1.2q"
    dom: str  # "1_2q", as in the ids of the page

    @property
    def row(self) -> str:
        return f"#q-{self.dom}"


def shot(target: Page | Locator, artifacts: Path, name: str) -> None:
    # caret="initial": Playwright's default hides the text caret with an injected inline style, which
    # the app's Content-Security-Policy (style-src 'self') refuses with a console error of its own.
    target.screenshot(path=str(artifacts / f"{name}.png"), caret="initial")


def login(page: Page, base: str, username: str = OPD_USER, password: str = PASSWORD) -> None:
    page.goto(f"{base}/masuk")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Masuk", exact=True).click()
    expect(page).to_have_url(WORKSPACE_URL)


def unanswered(page: Page) -> list[Question]:
    """The questions of the workspace that have no answer yet, in page order (read before acting:
    the badge changes after a save)."""
    rows = page.eval_on_selector_all(
        "details.question",
        """rows => rows
            .filter(d => d.querySelector('summary span[id^="badge-"]').classList.contains('status-empty'))
            .map(d => d.querySelector('summary .code').textContent.trim())""",
    )
    return [Question(code, code.replace(".", "_")) for code in rows]


def scorable(catalogue, questions: list[Question]) -> list[Question]:
    """Leave out questions of capped indicators (19, 21B): their indicator may already sit at its
    maximum, so a better answer need not move the agency total."""
    return [q for q in questions if not catalogue.questions[q.code].indicator.capped]


def options_scale(catalogue, code: str):
    scale = catalogue.scales[catalogue.questions[code].question.scale]
    return scale if scale.kind == "options" else None


def best_answer(catalogue, code: str) -> tuple[str, str, ScoredAnswer]:
    """("option", code, answer) with the best-scoring option, or ("value", "80", answer).

    The best option is the last radio on every scale but the inverted ones ("Tidak, sama sekali
    tidak ada" first), so it is chosen by its fraction rather than by position.
    """
    scale = options_scale(catalogue, code)
    if scale is not None:
        best = max(scale.options, key=lambda option: option.fraction)
        return "option", best.code, ScoredAnswer(option=best.code)
    return "value", "80", ScoredAnswer(value=Decimal(80))


def points_text(scorer, code: str, answer: ScoredAnswer) -> str:
    return format_points(scorer.question_points(code, answer), ",")


def open_card(page: Page, question: Question) -> Locator:
    """Open the question's row (a click on its summary) and wait for the card htmx loads into it."""
    row = page.locator(question.row)
    row.locator("summary").click()
    card = row.locator(f"#card-{question.dom}")
    expect(card).to_be_visible()
    # Visible is not ready: htmx binds the card's forms (autosave, upload) in its settle step, a moment
    # after inserting it, and takes the "htmx-added" class off just before. A field filled in between
    # never saves (CI once met exactly that: "Belum tersimpan…" for ten seconds). A person is never
    # that fast.
    expect(card).not_to_have_class(re.compile(r"\bhtmx-added\b"))
    return card


def no_horizontal_scroll(page: Page) -> tuple[int, int]:
    return tuple(page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]"))


def assert_fits(page: Page, where: str) -> None:
    """The page does not scroll sideways at its window's width (one pixel of rounding allowed)."""
    scroll_width, inner_width = no_horizontal_scroll(page)
    assert scroll_width <= inner_width + 1, (
        f"{where}: the page scrolls sideways at {inner_width} px (document is {scroll_width} px wide)")


def assert_page_ok(page: Page, check_axe, name: str) -> None:
    """The page fits its width and axe finds nothing serious or critical (`check_axe`: the fixture)."""
    assert_fits(page, name)
    blocking = check_axe(page, name)
    assert not blocking, describe_violations(blocking)


def describe_violations(violations: list[dict]) -> str:
    """A readable list: rule, impact, help, and each offending element with axe's own summary."""
    lines = [f"{len(violations)} serious/critical axe violation(s):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} [{violation['helpUrl']}]")
        for node in violation["nodes"][:10]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = " ".join((node.get("failureSummary") or "").split())
            if summary:
                lines.append(f"      {summary[:400]}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    … and {len(violation['nodes']) - 10} more elements")
    return "\n".join(lines)


def invisible_text(result: dict) -> list[dict]:
    """Text whose colour equals its background (contrast 1:1): axe files it under "incomplete"
    (it might be deliberately hidden), but on a visible control it is unreadable (WCAG 1.4.3)."""
    found = []
    for item in result["incomplete"]:
        if item["id"] != "color-contrast":
            continue
        for node in item["nodes"]:
            checks = node.get("any", []) + node.get("all", []) + node.get("none", [])
            if any((c.get("data") or {}).get("messageKey") == "equalRatio" for c in checks if isinstance(c, dict)):
                found.append({"target": " ".join(map(str, node["target"])), "html": node["html"][:200]})
    return found


# -- more than one person at once (the review loop) ------------------------------------------

DESKTOP_VIEWPORT = {"width": 1280, "height": 900}  # as conftest.DESKTOP
WAIT_MS = 10_000  # as conftest.TIMEOUT_MS: the longest any single wait may take


def number(text: str) -> Decimal:
    """"1.234,56" (the Indonesian way of writing points) -> Decimal("1234.56")."""
    return Decimal(text.strip().replace(".", "").replace(",", "."))


# -- zero tolerance: console errors, CSP refusals and axe findings on every page -----------------

AXE_JS = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING_IMPACTS = ("serious", "critical")
# The app's designed refusals (htmx swaps their message in: see responseHandling in base.html). Chromium
# logs every 4xx response as a console error; these four are answers, not faults, and each test asserts
# the message the user sees instead.
REFUSAL = re.compile(r"Failed to load resource: the server responded with a status of (409|413|422|429)\b")
GUARDED: list = []  # the browser contexts watched during the current test (conftest checks them after it)

# Runs in every document before the page's own scripts (init scripts are outside the page's CSP). It
# reports CSP refusals, and runs axe-core after each load and after htmx settles a swap (debounced).
GUARD_JS = """
(() => {
  if (window !== window.top) return;  // frames (an evidence preview) are not app pages
  if (document.contentType !== 'text/html') return;  // a file opened in its own tab (Chromium's PDF viewer)
  const report = (kind, detail) => { try { window.__klaGuard(kind, detail); } catch (e) {} };
  document.addEventListener('securitypolicyviolation', e => report('csp',
      `${e.effectiveDirective} refused ${e.blockedURI} at ${location.pathname} (${e.sourceFile}:${e.lineNumber}): ${e.sample}`));
  let timer = null, running = Promise.resolve(), again = false;
  const run = () => {
    running = running.then(async () => {
      if (typeof window.axe === 'undefined') return;
      try {
        const result = await window.axe.run(document, {runOnly: {type: 'tag', values: %(tags)s}, iframes: false});
        const blocking = result.violations.filter(v => %(impacts)s.includes(v.impact));
        if (blocking.length) report('axe', JSON.stringify({url: location.pathname + location.search,
            violations: blocking.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary}))}))}));
      } catch (e) { again = true; }  // the DOM changed under axe: look again once it settles
    });
    return running;
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(run, 250); };
  window.addEventListener('load', soon);
  document.addEventListener('htmx:afterSettle', soon);
  // A test's own full axe run (check_axe) waits its turn: axe refuses to run twice at once.
  window.__klaAxeRun = (options) => {
    const result = running.then(() => window.axe.run(document, options));
    running = result.catch(() => {});
    return result;
  };
  // Called by the test harness at the end of a test: wait for what is pending, then look once more.
  window.__klaGuardFlush = async () => { clearTimeout(timer); await running; again = false; await run(); };
})();
"""


def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8") if AXE_JS.exists() else ""


def guard(context) -> None:
    """Watch every page of `context`: CSP refusals and axe-core's serious and critical findings are kept
    in `context.guard_findings`; conftest fails the test when any is left at its end."""
    context.guard_findings = []
    context.guard_axe_seen = set()

    def on_report(source, kind: str, detail: str) -> None:
        if kind == "axe":
            found = json.loads(detail)
            fresh = []
            for violation in found["violations"]:
                key = (found["url"].split("?")[0], violation["id"],
                       tuple(" ".join(map(str, n["target"])) for n in violation["nodes"]))
                if key not in context.guard_axe_seen:
                    context.guard_axe_seen.add(key)
                    fresh.append(violation)
            if fresh:
                context.guard_findings.append(f"axe at {found['url']}: " + describe_violations(fresh))
        else:
            context.guard_findings.append(f"CSP violation: {detail}")

    context.expose_binding("__klaGuard", on_report)
    axe = _axe_source()
    if axe:  # axe first, in the top document only (the guard below runs it)
        context.add_init_script("if (window === window.top) {\n" + axe + "\n}")
    context.add_init_script(GUARD_JS % {"tags": json.dumps(AXE_TAGS), "impacts": json.dumps(list(BLOCKING_IMPACTS))})
    GUARDED.append(context)


def forgive(page: Page, expected) -> None:
    """Drop the findings a test provokes on purpose (`expected(text) -> bool`), e.g. an injected script."""
    page.js_errors[:] = [e for e in page.js_errors if not expected(e)]
    page.context.guard_findings[:] = [e for e in page.context.guard_findings if not expected(e)]


def guard_failures() -> list[str]:
    """Everything the watched contexts of this test saw that a user must never meet; empties the list."""
    failures = []
    for context in GUARDED:
        for page in context.pages:
            if page.is_closed():
                continue
            # A page navigating away just now: its last look was reported already.
            with contextlib.suppress(Exception):
                page.evaluate("async () => { if (window.__klaGuardFlush) await window.__klaGuardFlush(); }")
        failures.extend(getattr(context, "guard_findings", []))
        for page in getattr(context, "guard_pages", []):
            failures.extend(page.js_errors)
    GUARDED.clear()
    return failures


def watch_errors(page: Page) -> Page:
    """Collect uncaught script errors and console errors in `page.js_errors` (as the page fixtures do).

    The app's designed refusals (REFUSAL) are not errors. conftest fails the test on anything left.
    """
    if hasattr(page, "js_errors"):  # watched already (a context watches the pages it opens)
        return page
    page.js_errors = []

    def console(message) -> None:
        if message.type == "error" and not REFUSAL.search(message.text):
            where = f"{message.location.get('url')}:{message.location.get('lineNumber')}"
            page.js_errors.append(f"console.error at {page.url} ({where}): {message.text}")

    page.on("pageerror", lambda error: page.js_errors.append(f"pageerror at {page.url}: {error}"))
    page.on("console", console)
    pages = getattr(page.context, "guard_pages", None)
    if pages is not None:
        pages.append(page)
    return page


def watched_context(browser, viewport: dict, **options):
    """A new browser context with the app's CSP in force and every guard on (see `guard`)."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1, is_mobile=False,
                                  locale="id-ID", timezone_id="Asia/Jakarta", **options)
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    context.guard_pages = []
    guard(context)
    context.on("page", watch_errors)  # a link that opens a tab is watched too
    return context


def new_person(browser, viewport: dict | None = None) -> Page:
    """A page in a fresh browser context (its own cookies: another person), with the app's
    Content-Security-Policy in force. Close it with `page.context.close()`."""
    return watch_errors(watched_context(browser, viewport or DESKTOP_VIEWPORT).new_page())


def login_as(page: Page, base: str, username: str, landing: re.Pattern, password: str = PASSWORD) -> None:
    """Log in through the form; `landing` is where the role is sent (workspace, province dashboard)."""
    page.goto(f"{base}/masuk")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Masuk", exact=True).click()
    expect(page).to_have_url(landing)


def stage_total(page: Page, stage: str) -> Decimal:
    """The points of one stage ("self", "dp3a", "province"...) in the kab/kota dashboard's table of
    scores per stage (one row per stage reached: its points verified so far)."""
    big = page.locator(f"table.stages tr.stage-{stage} td.key-figure")
    expect(big).to_be_visible()
    return number(big.inner_text())


def queue_row(page: Page, code: str) -> Locator:
    """The row of the review queue that links to question `code`."""
    return page.locator("#queue tbody tr").filter(has=page.get_by_role("link", name=code, exact=True))
