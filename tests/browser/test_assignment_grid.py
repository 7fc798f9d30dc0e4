"""The DP3A's assignments grid (issue 20, item 13), at 1280 and 360 px: the agency headers stay in view
while the questions scroll, each column is labelled (a title on its short name and a visible key of
full names), and at 1280 px every column fits (the last one was cut off)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login_as, shot

WIDTHS = ["desktop", "phone"]
ANYWHERE = re.compile(r"^(?!.*/masuk).*$")


@pytest.mark.parametrize("width", WIDTHS)
def test_headers_stay_labelled_and_in_view(width, request, live_server, artifacts):
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, "dp3a.palangkaraya", ANYWHERE)
    year = re.search(r"/(\d{4})/", page.url).group(1)
    page.goto(f"{live_server}/r/62.71/{year}/kelola/penugasan")
    headers = page.locator("table.assign-grid thead th.ag")
    count = headers.count()
    assert count > 20

    # Labelled: a full name on every short name, and a key of them all on the page.
    titles = headers.locator("abbr").evaluate_all("els => els.map(e => e.title)")
    assert len(titles) == count and all(len(t) > 5 for t in titles), titles
    key = page.locator(".agency-key dl > div")
    expect(key).to_have_count(count)
    expect(key.first.locator("dd")).to_be_visible()

    if width == "desktop":  # every column fits: nothing cut off at the right
        sizes = page.evaluate("() => { const s = document.querySelector('.grid-scroll');"
                              " return [s.scrollWidth, s.clientWidth]; }")
        assert sizes[0] <= sizes[1], f"the grid is {sizes[0]} px wide in a {sizes[1]} px box"
        last, box = headers.last.bounding_box(), page.locator(".grid-scroll").bounding_box()
        assert last["x"] + last["width"] <= box["x"] + box["width"] + 0.5

    # Far down the list (and, on a phone, scrolled sideways): the headers are still at the top of the grid.
    page.evaluate("""() => {
        const grid = document.querySelector('.grid-scroll');
        grid.scrollIntoView({block: 'start'});
        const rows = grid.querySelectorAll('tbody tr[id^="row-"]');
        rows[rows.length - 1].scrollIntoView({block: 'nearest', inline: 'nearest'});
        grid.scrollLeft = grid.scrollWidth;
    }""")
    page.wait_for_timeout(100)
    grid = page.locator(".grid-scroll").bounding_box()
    viewport = page.viewport_size
    corner = page.locator("table.assign-grid thead th.q").bounding_box()
    assert abs(corner["y"] - grid["y"]) <= 2 and corner["y"] >= -1, (corner, grid)
    assert abs(corner["x"] - grid["x"]) <= 2, (corner, grid)  # the question column stays on the left
    visible_header = headers.last.bounding_box()
    assert 0 <= visible_header["y"] <= viewport["height"] and abs(visible_header["y"] - grid["y"]) <= 2
    shot(page, artifacts, f"assignment-grid-scrolled-{width}")
