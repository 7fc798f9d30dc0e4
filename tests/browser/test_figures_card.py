"""Answers as data in the browser (issue 23, item 5), at 1280 px and 360 px: a focal point types the two
years' figures of a percentage question on its card, saves them, and sees the percentages, the trend in
words and the answer's score; the page never scrolls sideways (console errors and axe findings fail the
test through the guard)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import Question, login, open_card, shot

# Dinkes' questions answered as data on a percentage scale (12.3 immunisation, 14.2 IMD, 16.5 sanitation).
PERCENT_DATA = ["12.3", "14.2", "16.5"]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_focal_point_enters_two_years_of_figures(width, request, live_server, artifacts):
    page = request.getfixturevalue(f"{width}_page")
    login(page, live_server)
    page.goto(page.url + "?lang=en")  # English: its words hold before the lead merges the translations
    card = question = None
    for code in PERCENT_DATA:  # the first whose figures can still be changed (the demo submitted some)
        candidate = Question(code, code.replace(".", "_"))
        if page.locator(candidate.row).count() == 0:
            continue
        opened = open_card(page, candidate)
        if opened.locator("section.figures-block form").count():
            card, question = opened, candidate
            break
    if card is None:
        pytest.skip("every percentage data question of Dinkes is read-only in the demo")
    block = card.locator("section.figures-block")
    expect(block).to_be_visible()
    year = int(re.search(r"/(\d{4})/", page.url).group(1))
    first = "450" if width == "desktop" else "2"  # each run writes figures of its own
    block.locator(f"input[name='numerator_{year - 2}']").fill(first)
    block.locator(f"input[name='denominator_{year - 2}']").fill("500" if width == "desktop" else "3")
    block.locator(f"input[name='numerator_{year - 1}']").fill("1")
    block.locator(f"input[name='denominator_{year - 1}']").fill("3")
    block.get_by_role("button", name="Save the figures").click()
    card = page.locator(f"#card-{question.dom}")
    expect(card.locator(".ok[role='status']")).to_contain_text("Figures saved")
    block = card.locator("section.figures-block")
    expect(block.locator(f"tr[id$='-{year - 1}'] td.percent")).to_contain_text("33.33")
    expect(block.locator("p.trend")).to_contain_text("falling")
    expect(card.locator(f"#value-{question.dom}")).to_have_value("33.33")
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"the card scrolls sideways: {scroll} px in a {inner} px window"
    shot(card.locator("section.figures-block"), artifacts, f"figures-card-{width}")
