"""Where each role lands when a new cycle has opened beside last year's season (issue 22: the demo's
2025 cycle is open for Kota Palangka Raya while 2024 stays readable)."""

from __future__ import annotations

from app.models import Assessment, Cycle
from scoring import Stage


def _open_next_year(world, db) -> int:
    last = db.get(Cycle, world.assessments["a"].cycle_id)
    cycle = Cycle(year=last.year + 1, instrument_code=last.instrument_code, instrument_version=last.instrument_version)
    db.add(cycle)
    db.flush()
    db.add(Assessment(cycle_id=cycle.id, regency_code=world.regency_a.code))
    previous = world.assessments["a"]
    previous.stage = Stage.FINAL
    db.add(previous)
    db.commit()
    return cycle.year


def _lands(make_client, auth, username: str) -> str:
    client = make_client()
    auth.login(client, username)
    return client.get("/", follow_redirects=False).headers["location"]


def test_the_kab_kota_lands_in_its_newest_cycle_the_verifiers_in_the_newest_season(world, db, make_client, auth):
    next_year = _open_next_year(world, db)
    assert _lands(make_client, auth, "dp3a_a") == f"{world.base()}/isian".replace(str(world.year), str(next_year))
    assert _lands(make_client, auth, "opd_a") == f"/r/{world.regency_a.code}/{next_year}/isian"
    # Region B has no assessment in the new year: it stays in its own newest cycle.
    assert _lands(make_client, auth, "dp3a_b") == f"{world.base('b')}/isian"
    # The new cycle's kab/kota are still answering: last year's season is the verifiers' work.
    assert _lands(make_client, auth, "province") == f"/provinsi/62/{world.year}"
    assert _lands(make_client, auth, "reviewer") == f"/provinsi/62/{world.year}"
    assert _lands(make_client, auth, "admin") == f"/nasional/{world.year}"
    assert _lands(make_client, auth, "verifier") == "/lapangan"
