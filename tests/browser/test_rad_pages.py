"""Issue 24, the action plan (RAD KLA) in a browser: the demo's plan of Kota Palangka Raya 2025 as its
DP3A sees it (progress per cluster with bars, an activity's page, the printable monitoring report) and
an agency (Dinas Kesehatan) reporting progress on one of its activities, at 1280 and 360 px: no
horizontal scroll, and (the conftest's guard) no console error and no serious/critical axe finding.
Screenshots in test-artifacts/browser/rad-*.png.

The pages are found by ids, not by their words (new words may still be untranslated).
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import login_as, new_person, no_horizontal_scroll, shot

BASE = "/r/62.71/2025/gugus-tugas/rad"
ANYWHERE = re.compile(r".+")


def _pages(page, live_server) -> list[tuple[str, str]]:
    page.goto(f"{live_server}{BASE}")
    first = page.locator("tr.activity td.title a").first.get_attribute("href")
    return [("plan", BASE), ("activity", first), ("monitoring", f"{BASE}/laporan/cetak")]


def _check(page, live_server, artifacts, who: str, width: str) -> None:
    """Each page in both languages (English words run longer): no horizontal scroll; a screenshot."""
    for name, path in _pages(page, live_server):
        for language in ("en", "id"):  # Indonesian last: the language the next steps read in
            page.goto(f"{live_server}{path}?lang={language}")
            expect(page.locator("h1")).to_be_visible()
            scroll, inner = no_horizontal_scroll(page)
            assert scroll <= inner, (who, name, width, language, scroll, inner)
        shot(page, artifacts, f"rad-{who}-{name}-{width}")


def test_the_dp3a_reads_the_plan_and_its_monitoring_report(browser, live_server, artifacts):
    for viewport, width in ((DESKTOP, "1280"), (PHONE, "360")):
        page = new_person(browser, viewport)
        login_as(page, live_server, "dp3a.palangkaraya", ANYWHERE)
        page.goto(f"{live_server}{BASE}")
        rows = page.locator("table.rad-progress tbody tr.part-progress")
        expect(rows).to_have_count(7)
        assert int(page.locator("#kemajuan-total td.count").inner_text()) >= 10
        expect(page.locator("#kemajuan-K3 svg.rad-bar")).to_be_visible()
        expect(page.locator("#rad-add")).to_be_visible()
        _check(page, live_server, artifacts, "dp3a", width)
        if width == "1280":  # the monitoring report as printed: no menus, no links to elsewhere, every row
            page.goto(f"{live_server}{BASE}/laporan/cetak")
            page.emulate_media(media="print")
            expect(page.locator(".rad-screen-only")).to_be_hidden()
            expect(page.locator(".site-header nav").first).to_be_hidden()
            assert page.locator("tr.activity").count() >= 10
            shot(page, artifacts, "rad-dp3a-monitoring-print")
            page.pdf(path=str(artifacts / "rad-monitoring.pdf"), prefer_css_page_size=True)
            page.emulate_media(media="screen")
        page.context.close()


def test_an_agency_reports_progress_on_its_own_activity(browser, live_server, artifacts):
    for viewport, width in ((DESKTOP, "1280"), (PHONE, "360")):
        page = new_person(browser, viewport)
        login_as(page, live_server, "dinkes.palangkaraya", ANYWHERE)
        page.goto(f"{live_server}{BASE}")
        expect(page.locator("#rad-add")).to_have_count(0)
        # The demo's Dinkes activity with no report yet: "Pelatihan konseling PMBA bagi kader".
        page.locator("tr.activity td.title a", has_text="PMBA").click()
        form = page.locator("#rad-report")
        expect(form).to_be_visible()
        form.locator("#report-status").select_option("ongoing")
        form.locator("#report-progress").fill("30" if width == "1280" else "35")
        form.locator("#report-realised").fill("7.500.000")
        form.locator("#report-note").fill(f"Angkatan pertama dilatih ({width} px).")
        form.locator("button[type=submit]").click()
        expect(page.locator("p.ok[role=status]")).to_be_visible()
        expect(page.locator("#rad-progress")).to_have_text("30%" if width == "1280" else "35%")
        expect(page.locator("tr.report").first.locator("td.realised")).to_contain_text("7.500.000")
        scroll, inner = no_horizontal_scroll(page)
        assert scroll <= inner, (width, scroll, inner)
        page.screenshot(path=str(artifacts / f"rad-opd-own-activity-{width}.png"), full_page=True, caret="initial")
        _check(page, live_server, artifacts, "opd", width)
        page.context.close()


def test_the_progress_bars_stay_inside_their_cells(browser, live_server):
    """At 1280 px each bar ends inside its own cell (it used to run into the budget figure beside it:
    a percentage max-width let the column shrink below the bar)."""
    page = new_person(browser, DESKTOP)
    login_as(page, live_server, "dp3a.palangkaraya", ANYWHERE)
    for path in (BASE, f"{BASE}/laporan/cetak"):
        page.goto(f"{live_server}{path}")
        expect(page.locator("#kemajuan-K3 svg.rad-bar")).to_be_visible()
        overflows = page.eval_on_selector_all(
            "table.rad-progress td.average svg.rad-bar",
            """bars => bars.map(bar => {
                 const cell = bar.closest('td'), b = bar.getBoundingClientRect(), c = cell.getBoundingClientRect();
                 const pad = parseFloat(getComputedStyle(cell).paddingRight);
                 return [cell.parentElement.id, Math.round(b.right), Math.round(c.right - pad)];
               }).filter(([, right, limit]) => right > limit)""")
        assert overflows == [], (path, overflows)
    page.context.close()
