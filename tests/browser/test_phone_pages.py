"""Every page usable at 360 px with its key figures in view (issue 20, items 12 and 15), checked at 1280 px
too: no sideways scrolling, the scores of the province comparison and the national list on screen, the
dashboard's chart labels readable and named, its legend listing only the bars it draws, the heat map's
key, and the history without SHA-256 and byte counts in the focal point's face (behind a toggle)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.services.demo import sample_pdf
from tests.browser.helpers import login_as, open_card, shot, unanswered

WIDTHS = ["desktop", "phone"]
ANYWHERE = re.compile(r"^(?!.*/masuk).*$")
HISTORY_USERS = {"desktop": "bappeda.palangkaraya", "phone": "kemenag.palangkaraya"}


def _fits(page) -> None:
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url} scrolls sideways: {width} px wide in a {inner} px window"


def _on_screen(locator) -> None:
    """Visible, and horizontally inside the window (not scrolled away in a wide table)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    inner = locator.page.evaluate("() => window.innerWidth")
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= inner + 0.5, (box, inner)


def _year(page) -> str:
    return re.search(r"/(\d{4})(/|$)", page.url).group(1)


@pytest.mark.parametrize("width", WIDTHS)
def test_dashboard_fits_with_readable_named_bars(width, request, live_server, artifacts):
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, "dp3a.palangkaraya", ANYWHERE)
    page.goto(f"{live_server}/r/62.71/{_year(page)}/dasbor")
    _fits(page)
    figures = page.locator("table.stages td.key-figure")  # the points of each stage reached
    assert figures.count() > 0
    for big in figures.all():
        _on_screen(big)
    labels = page.locator("svg.chart .chart-label")
    assert labels.count() > 26
    heights = [box["height"] for box in (label.bounding_box() for label in labels.all()[:5])]
    assert min(heights) >= 10, f"chart labels {heights} px high"
    # Named in words, not "1"…"26" alone.
    first = page.locator("section:has(#indicators-title) .chart-label").first.text_content()
    assert re.match(r"^1 · \w+", first), first
    # 62.71 is still in self-assessment: the province has given no points, so no province bar and no
    # province key in the legend (the legend says why).
    legend = page.locator("section:has(#parts-title) p.legend")
    drawn = page.locator("section:has(#parts-title) svg.chart g").first.locator("rect[stroke='#000']").count()
    expect(legend.locator(".legend-item")).to_have_count(drawn)
    expect(legend.locator(".key-province")).to_have_count(0)
    expect(legend).to_contain_text("provinsi")
    shot(page, artifacts, f"phone-dashboard-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_province_and_national_lists_show_their_scores(width, request, live_server, artifacts):
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, "prov.kalteng", ANYWHERE)
    _fits(page)
    scored = page.locator("#region-table tbody tr").filter(has=page.locator("td.key-figure"))
    assert scored.count() > 0
    for cell in scored.first.locator("td.key-figure").all():
        _on_screen(cell)
    # The heat map: every part's column in view, and a key to its shades and codes.
    heat = page.locator("table.heat")
    _on_screen(heat.locator("thead th").last)
    expect(page.locator("#heat-legend .key")).to_have_count(6)
    expect(page.locator(".part-key dt")).to_have_count(heat.locator("thead th").count() - 1)
    shot(page, artifacts, f"phone-province-{width}")

    page.context.clear_cookies()
    login_as(page, live_server, "admin.kemenpppa", ANYWHERE)
    _fits(page)
    national = page.locator("#region-list tbody tr").filter(has=page.locator("td.key-figure"))
    assert national.count() > 0
    for cell in national.first.locator("td.key-figure").all():
        _on_screen(cell)
    shot(page, artifacts, f"phone-national-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_history_fits_and_keeps_technical_detail_behind_a_toggle(width, request, live_server, artifacts, tmp_path):
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, HISTORY_USERS[width], ANYWHERE)
    question = unanswered(page)[0]
    card = open_card(page, question)
    pdf = tmp_path / f"bukti-riwayat-{width}-dengan-nama-berkas-yang-cukup-panjang.pdf"
    pdf.write_bytes(sample_pdf("Bukti", "Dokumen contoh untuk uji riwayat."))
    card.locator("form.upload input[type=file]").set_input_files(pdf)
    card.locator("form.upload").get_by_role("button", name="Unggah", exact=True).click()
    expect(card.locator(f"#upload-msg-{question.dom}")).to_contain_text("1 berkas diunggah")
    card.get_by_role("link", name="Riwayat pertanyaan ini").click()
    expect(page.locator("h1")).to_contain_text(question.code)
    _fits(page)
    sha = page.locator("table.history-table dt", has_text="SHA-256").first
    expect(sha).to_be_attached()
    expect(sha).to_be_hidden()  # behind "Rincian teknis"
    expect(page.get_by_text("bita").first).to_be_hidden()
    page.locator("details.tech summary").first.click()
    expect(sha).to_be_visible()
    _fits(page)
    shot(page, artifacts, f"phone-history-{width}")


# -- the season after the province (issue 22): the demo's published 2024 and Palangka Raya's 2025 ----------

# Who sees each page of the season, as the demo's people: the ministry's admin the national pipeline and
# award list, the province its own, the kab/kota its dashboard, timeline and recommendations, the
# ministry's reviewer the timeline, the field verifier the field page, and the Dinkes its 2025 workspace.
SEASON_PAGES = {
    "admin.kemenpppa": ["/nasional/2024/tahapan", "/nasional/2024/penghargaan"],
    "prov.kalteng": ["/provinsi/62/2024", "/provinsi/62/2024/tahapan"],
    "dp3a.palangkaraya": ["/r/62.71/2024/dasbor", "/r/62.71/2024/rekomendasi"],
    "reviu.kemenpppa": ["/r/62.71/2024/linimasa"],
    "verifikator.kemenkes": ["/r/62.71/2024/lapangan"],
    "dinkes.palangkaraya": ["/r/62.71/2025/isian"],
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("user", list(SEASON_PAGES))
def test_season_pages_fit(user, width, request, live_server, artifacts):
    """Each page opens for its people (no error page), with its heading, and scrolls no sideways at
    360 px nor at 1280 px; screenshots of each (its first screen and the whole page), to look at."""
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, user, ANYWHERE)
    for path in SEASON_PAGES[user]:
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        expect(page.locator("h1").first).to_be_visible()
        _fits(page)
        name = path.strip("/").replace("/", "-")
        shot(page, artifacts, f"season-{name}-{width}")  # the first screen, as it opens
        page.screenshot(path=str(artifacts / f"season-{name}-{width}-full.png"), full_page=True, caret="initial")


# -- issue 23: the document library, Kelana/Dekela and the hand-off package, on the demo's 2025 -------------

# Each page, then the first page it leads to (a document's page; a kecamatan's desa), as its people see them.
DOCUMENT_PAGES = {
    "dp3a.palangkaraya": [("/r/62.71/2025/dokumen", "tr.document td.name a"),
                          ("/r/62.71/2025/kelana", "article.area p a"), ("/r/62.71/2025/serah-terima", None)],
    "dinkes.palangkaraya": [("/r/62.71/2025/dokumen", "tr.document td.name a"), ("/r/62.71/2025/kelana", None)],
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("user", list(DOCUMENT_PAGES))
def test_document_pages_fit(user, width, request, live_server, artifacts):
    """The pages of issue 23 open for their people with a heading and scroll no sideways at 360 px nor at
    1280 px (the guard runs axe on each); whole-page screenshots of each, to look at."""
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, user, ANYWHERE)
    for path, inner in DOCUMENT_PAGES[user]:
        paths = [path]
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        if inner is not None:
            href = page.locator(inner).first.get_attribute("href")
            assert href, f"{path}: no {inner}"
            paths.append(href)
        for shown in paths:
            if shown != path:
                response = page.goto(live_server + shown)
                assert response is not None and response.status == 200, (shown, response and response.status)
            expect(page.locator("h1").first).to_be_visible()
            wider = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.id || ''))""")
            assert not wider or page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
                f"{shown} is wider than the window: {wider}")
            name = re.sub(r"[^a-z0-9-]+", "-", shown.strip("/").lower())
            page.screenshot(path=str(artifacts / f"issue23-{user.split('.')[0]}-{name}-{width}.png"), full_page=True,
                            caret="initial")
