"""Issue 22 fixes: the top menu's season links follow the cycles, not the instrument's year. With a new
cycle open beside a published one (the demo has that), the pipeline opens the latest cycle, the award
list the latest cycle with awards, a kab/kota page its own cycle; the pipeline and award pages offer the
other years."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from app.models import Award, Cycle
from app.services import season_years
from tests import html


@pytest.fixture
def next_year_open(db, world):
    """The world's cycle published with an award for A; the next year's cycle opened beside it."""
    cycle = db.exec(select(Cycle).where(Cycle.year == world.year)).one()
    cycle.published_at = datetime.now(UTC)
    db.add(cycle)
    db.add(Award(assessment_id=world.assessments["a"].id, total=Decimal("650.00"), band_category="pratama",
                 category="pratama", decided_by=world.users["admin"].id))
    db.add(Cycle(year=world.year + 1, instrument_code=cycle.instrument_code,
                 instrument_version=cycle.instrument_version))
    world.assessments["a"].stage = "province"  # its review desk open to the ministry
    db.add(world.assessments["a"])
    db.commit()
    season_years.forget()  # written here straight to the database, not through the services that forget
    return world.year + 1


def _menu(page) -> dict[str, str]:
    return {html.squash(a.text_content()): a.get("href") for a in page.xpath("//header//nav[1]//a")}


def test_the_menu_opens_the_latest_cycle_and_the_latest_award_list(client, auth, world, next_year_open):
    auth.login(client, "admin")
    menu = _menu(html.page(client.get(f"/nasional/{world.year}?lang=en")))
    assert menu["Season pipeline"] == f"/nasional/{next_year_open}/tahapan"
    assert menu["Awards"] == f"/nasional/{world.year}/penghargaan"  # 2025 has no award yet
    # A kab/kota page links to its own cycle's pipeline (no look-up).
    menu = _menu(html.page(client.get(f"{world.base()}/verifikasi?lang=en")))
    assert menu["Season pipeline"] == f"/nasional/{world.year}/tahapan"

    auth.login(client, "province")
    menu = _menu(html.page(client.get(f"/provinsi/62/{world.year}?lang=en")))
    assert menu["Season pipeline"] == f"/provinsi/62/{next_year_open}/tahapan"


def test_the_pipeline_and_award_pages_switch_years(client, auth, world, next_year_open):
    auth.login(client, "admin")
    page = html.page(client.get(f"/nasional/{next_year_open}/tahapan?lang=en"))
    switch = html.one(page, "//nav[@class='year-switch']")
    assert html.text_of(switch, ".//strong[@aria-current='page']") == str(next_year_open)
    assert html.attrs(switch, ".//a/@href") == [f"/nasional/{world.year}/tahapan"]
    page = html.page(client.get(f"/nasional/{world.year}/penghargaan?lang=en"))
    assert html.attrs(page, "//nav[@class='year-switch']//a/@href") == [f"/nasional/{next_year_open}/penghargaan"]

    auth.login(client, "province")
    page = html.page(client.get(f"/provinsi/62/{world.year}/tahapan?lang=en"))
    assert html.attrs(page, "//nav[@class='year-switch']//a/@href") == [f"/provinsi/62/{next_year_open}/tahapan"]
    # The province sees only published award lists: one year, so no switcher.
    page = html.page(client.get(f"/nasional/{world.year}/penghargaan?lang=en"))
    assert not page.xpath("//nav[@class='year-switch']")


def test_a_single_cycle_has_no_switcher(client, auth, world):
    auth.login(client, "admin")
    season_years.forget()
    page = html.page(client.get(f"/nasional/{world.year}/tahapan?lang=en"))
    assert not page.xpath("//nav[@class='year-switch']")
    assert _menu(page)["Awards"] == f"/nasional/{world.year}/penghargaan"  # no award anywhere: the latest cycle
