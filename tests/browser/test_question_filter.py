"""The OPD's question list (issue 20, item 11), at 1280 and 360 px: a filter by state and a text search,
and a "submit all" that names and links what it skipped, shown as a warning rather than a success.

Each width uses its own agency of Kota Palangka Raya (submit-all locks answers, and the other browser
tests need Dinkes drafts)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SAVED, login_as, open_card, shot, unanswered

USERS = {"desktop": "disdik.palangkaraya", "phone": "dukcapil.palangkaraya"}
WORKSPACE = re.compile(r"/r/62\.71/\d{4}/isian")


def _count(page) -> tuple[int, int]:
    text = page.locator("#filter-count").inner_text()
    shown, total = (int(n) for n in re.findall(r"\d+", text)[:2])
    return shown, total


def _not_answered(page) -> list[str]:
    return page.eval_on_selector_all(
        "details.question",
        """rows => rows.filter(d => d.querySelector('summary span[id^="badge-"]').textContent.trim() === 'belum dijawab')
                      .map(d => d.id)""",
    )


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_filter_search_and_submit_all_names_what_it_skipped(width, request, live_server, artifacts):
    page = request.getfixturevalue(f"{width}_page")
    login_as(page, live_server, USERS[width], WORKSPACE)
    rows = page.locator("details.question")
    everything = rows.count()
    assert everything > 5
    assert _count(page) == (everything, everything)

    # Not answered yet: exactly the rows whose badge says so (a file alone is no answer), fewer than all.
    questions = unanswered(page)
    open_rows = _not_answered(page)
    assert len(open_rows) < everything
    page.locator("#tampil").select_option("unanswered")
    page.get_by_role("button", name="Saring", exact=True).click()
    expect(page).to_have_url(re.compile(r"tampil=unanswered"))
    expect(rows).to_have_count(len(open_rows))
    assert _not_answered(page) == open_rows
    assert _count(page) == (len(open_rows), everything)
    shot(page, artifacts, f"filter-unanswered-{width}")

    # A text search by code finds that question alone.
    target = questions[0]
    page.locator("#tampil").select_option("")
    page.locator("#cari").fill(target.code)
    page.get_by_role("button", name="Saring", exact=True).click()
    expect(rows).to_have_count(1)
    expect(page.locator(target.row)).to_be_visible()

    # Nothing matches: said so.
    page.locator("#cari").fill("zzzz tidak ada")
    page.get_by_role("button", name="Saring", exact=True).click()
    expect(rows).to_have_count(0)
    expect(page.locator("#no-match")).to_be_visible()

    # "Submit all" with a not-applicable answer that has no reason: it is skipped, named and linked.
    page.get_by_role("link", name="Tampilkan semua").click()
    card = open_card(page, target)
    card.locator(f"#na-{target.dom}").check()
    expect(page.locator(f"#state-{target.dom}")).to_have_text(SAVED)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form.submit-all button").click()
    flash = page.locator("main .flash-message")
    expect(flash).to_be_visible()
    expect(flash).to_have_class(re.compile(r"\bwarning\b"))
    expect(flash).not_to_have_class(re.compile(r"\bok\b"))
    link = flash.get_by_role("link", name=target.code, exact=True)
    expect(link).to_have_attribute("href", f"#q-{target.dom}")
    link.click()
    expect(page.locator(target.row)).to_have_attribute("open", "")
    shot(page, artifacts, f"submit-all-skipped-{width}")
