"""Year over year: a new cycle proposes last year's answers; the DP3A confirms each."""

from __future__ import annotations

import io

import pytest
from lxml import html as lxml_html
from sqlmodel import select

from app.models import Answer, CarryOver, Evidence, StoredFile, User
from app.services import cycles as cycle_service
from app.services.answers import AnswerInput, save_answer
from app.services.demo import sample_pdf
from app.services.evidence import attach
from scoring.samples import best_answer
from tests import html


@pytest.fixture
def last_year(world, db, scorer, catalogue, app):
    """Three answers of region A in the world's cycle (2024), one with a file."""
    opd = db.exec(select(User).where(User.username == "opd_a")).one()
    codes = [r.question.code for r in catalogue.iter_questions() if "DINKES" in r.question.agencies][:3]
    for code in codes:
        best = best_answer(scorer, code)
        save_answer(db, world.assessments["a"], code, AnswerInput(option=best.option, value=best.value, note="2024"),
                    0, opd, scorer)
    first = db.exec(select(Answer).where(Answer.question_code == codes[0])).one()
    stored = app.state.evidence.save_file(io.BytesIO(sample_pdf("Perbup", "2024")))
    attach(db, world.assessments["a"], first, stored, "perbup.pdf", opd)
    db.commit()
    return codes


def test_new_cycle_proposes_answers_and_accepting_copies_them_without_copying_files(
    client, world, auth, db, catalogue, last_year
):
    moved = last_year[2]
    mapping = {last_year[1]: None, moved: last_year[2]}
    opened = cycle_service.open_cycle(db, catalogue, world.year + 1, from_year=world.year, mapping=mapping)
    db.commit()  # the service leaves the unit of work to its caller (the `kla cycle open` command)
    assert opened.proposed == 2  # one dropped by the mapping
    token = auth.login(client, "dp3a_a")
    url = f"/r/{world.regency_a.code}/{world.year + 1}/bawa"
    page = client.get(url)
    assert page.status_code == 200 and last_year[0] in html.text_of(html.page(page))
    carry = db.exec(select(CarryOver).where(CarryOver.question_code == last_year[0])).one()
    response = client.post(url, data={"decision": "accept", "carry_id": str(carry.id), "csrf_token": token})
    assert response.status_code == 200 and "1 jawaban dibawa" in html.text_of(html.page(response))
    new = db.exec(select(Answer).where(Answer.question_code == last_year[0], Answer.id != carry.source_answer_id)).one()
    assert new.note == "2024" and new.status == "draft"
    assert [e.filename for e in db.exec(select(Evidence).where(Evidence.answer_id == new.id))] == ["perbup.pdf"]
    assert len(db.exec(select(StoredFile)).all()) == 1
    rest = client.post(url, data={"decision": "accept_all", "csrf_token": token})
    assert "1 jawaban dibawa" in html.text_of(html.page(rest))
    again = client.post(url, data={"decision": "accept", "carry_id": str(carry.id), "csrf_token": token})
    assert "tidak dapat dibawa" in html.text_of(html.page(again))


def test_years_side_by_side(client, world, auth, db, catalogue, last_year):
    cycle_service.open_cycle(db, catalogue, world.year + 1, from_year=world.year)
    db.commit()
    auth.login(client, "dp3a_a")
    page = client.get(f"/r/{world.regency_a.code}/tahun")
    assert page.status_code == 200
    shown = html.text_of(html.page(page))
    assert str(world.year) in shown and str(world.year + 1) in shown


def test_years_name_the_instrument_version_in_words(client, world, auth, db, catalogue, last_year):
    """Issue 20, item 8: the column heads say "Instrumen KLA 2024 (versi 1)", not a bare "2024.1"."""
    auth.login(client, "dp3a_a")
    page = lxml_html.fromstring(client.get(f"/r/{world.regency_a.code}/tahun").text)
    heads = [th.xpath('string(.//div[contains(@class, "hint")])') or th.text_content()
             for th in page.xpath('//table[@class="years"]/thead//th')[1:]]
    version = catalogue.data.instrument.version
    year, number = version.split(".")
    assert heads == [f"Instrumen KLA {year} (versi {int(number)})"]
    assert version not in page.xpath('string(//table[@class="years"])')


def test_province_sees_only_submitted_cycles(client, world, auth, db, catalogue, last_year):
    auth.login(client, "province")
    page = client.get(f"/r/{world.regency_a.code}/tahun")
    assert page.status_code == 200 and "Belum ada siklus" in html.text_of(html.page(page))


def test_mapping_to_an_unknown_code_is_refused(tmp_path, catalogue):
    bad = tmp_path / "map.yaml"
    bad.write_text("1.1: 99.9\n", encoding="utf-8")
    with pytest.raises(cycle_service.MappingError, match="99.9"):
        cycle_service.load_mapping(bad, catalogue)
