"""The Content-Security-Policy holds in a real browser: script injected into the page does not run.

The context does not bypass the policy (no browser test's does). A listener for
`securitypolicyviolation` is installed before any page script runs (an init script, which the
policy does not govern), so it also sees any violation caused by the app itself: there must be none
while the workspace loads and htmx loads a question card, and exactly the refusals of what the
test injects afterwards.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import forgive, login, open_card, shot, unanswered

LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push({
    directive: e.effectiveDirective, blocked: e.blockedURI, disposition: e.disposition,
    sample: e.sample, source: e.sourceFile}));
"""

INJECT_SCRIPT = """() => {
    const script = document.createElement('script');
    script.textContent = 'window.__pwned = 1';
    document.body.appendChild(script);
}"""

INJECT_HANDLER = """() => {
    const img = document.createElement('img');
    img.setAttribute('onerror', 'window.__pwnedByHandler = 1');
    img.src = 'data:image/png;base64,AAAA';  // allowed by img-src, but not an image: onerror fires
    img.alt = '';
    document.body.appendChild(img);
}"""


def _violations(page) -> list[dict]:
    return page.evaluate("() => window.__csp")


def test_injected_inline_script_is_refused_and_htmx_still_works(desktop_page, live_server, artifacts):
    page = desktop_page
    page.add_init_script(LISTEN)
    login(page, live_server)

    # The policy really is in force on the workspace, as the server sends it.
    response = page.reload()
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, f"unexpected policy: {policy!r}"

    # The app's own behaviour under the policy: htmx loads a question card into its row.
    questions = unanswered(page)
    assert questions, "no unanswered question to open"
    question = questions[len(questions) // 3]
    card = open_card(page, question)
    expect(card.locator("form.answer")).to_be_visible()
    expect(card.locator("form.upload input[type=file]")).to_be_attached()
    assert _violations(page) == [], f"the app itself breaks its own policy: {_violations(page)}"
    assert page.js_errors == [], "script errors before the injection:\n" + "\n".join(page.js_errors)

    # An inline <script> added through the DOM must not run, and the refusal is reported.
    page.evaluate(INJECT_SCRIPT)
    page.wait_for_function("() => window.__csp.length >= 1", timeout=5_000)
    assert page.evaluate("() => typeof window.__pwned") == "undefined", "the injected inline script ran"
    refused = _violations(page)
    assert [(v["directive"], v["blocked"], v["disposition"]) for v in refused] == [
        ("script-src-elem", "inline", "enforce")
    ], f"unexpected violation reports: {refused}"
    page.wait_for_timeout(100)
    csp_console = [e for e in page.js_errors if "Content Security Policy" in e]
    assert csp_console, f"no console error about the Content Security Policy: {page.js_errors}"
    assert all(re.search(r"script-src 'self'", e) for e in csp_console), csp_console

    # An inline event handler is refused too.
    page.evaluate(INJECT_HANDLER)
    page.wait_for_function("() => window.__csp.length >= 2", timeout=5_000)
    assert page.evaluate("() => typeof window.__pwnedByHandler") == "undefined", "the injected handler ran"
    assert _violations(page)[1]["directive"] == "script-src-attr", _violations(page)

    # Still working after the refusals: another card loads.
    others = [q for q in unanswered(page) if q != question]
    other = open_card(page, others[len(others) // 3])
    expect(other.locator("form.answer")).to_be_visible()
    shot(page.locator(question.row), artifacts, "csp-workspace-card")
    assert len(_violations(page)) == 2, f"violations beyond the two injected: {_violations(page)}"
    unexpected = [e for e in page.js_errors if "Content Security Policy" not in e]
    assert unexpected == [], "script errors besides the refused injections:\n" + "\n".join(unexpected)
    forgive(page, lambda finding: "script-src" in finding)  # the two refusals provoked above, and only them
