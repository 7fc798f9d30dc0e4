"""Issue 23 item 9: the "sudah diunggah" checklist, the official Nilai EM (one by one and pasted from a
spreadsheet), the dashboard's comparison and the calibration report. Pages read as parsed HTML, in
English; the figures are checked against the scorer."""

from __future__ import annotations

import io

import openpyxl
from sqlmodel import select

from app.models import AuditEntry, Cycle, User, utcnow
from app.models.documents import HandoffMark
from app.services.answers import AnswerInput, save_answer
from scoring import Answer
from tests import html


def _user(db, username) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def _client(make_client, auth, username):
    client = make_client()
    token = auth.login(client, username)
    client.cookies.set("kla_lang", "en")
    return client, token


def _hx(token):
    return {"X-CSRF-Token": token, "HX-Request": "true"}


def _plain(token):
    return {"X-CSRF-Token": token}


def _options_question(catalogue, nth: int = 0):
    """An options question of Dinkes with points (the nth), and its best option."""
    found = [r.question for r in catalogue.iter_questions() if "DINKES" in r.question.agencies
             and r.question.max >= 10 and catalogue.scales[r.question.scale].kind == "options"]
    question = found[nth]
    return question.code, catalogue.scales[question.scale].options[-1].code


def _marks(db, world):
    db.expire_all()
    return {m.question_code: m for m in db.exec(select(HandoffMark).where(
        HandoffMark.assessment_id == world.assessments["a"].id))}


def _audits(db, action_prefix="handoff."):
    db.expire_all()
    return [e for e in db.exec(select(AuditEntry)) if e.action.startswith(action_prefix)]


def _url(world, tail=""):
    return f"{world.base('a')}/serah-terima/{tail}"


def test_tick_and_untick_are_idempotent_and_audited(make_client, auth, db, world, catalogue):
    code, _option = _options_question(catalogue)
    client, token = _client(make_client, auth, "dp3a_a")
    page = html.page(client.get(_url(world, "daftar")))
    assert "0 of 274 entered" in html.text_of(page, "//*[@id='marks-progress']")
    card = html.one(page, f"//li[@id='mark-{code.replace('.', '_')}']")
    assert card.xpath(".//input[@type='checkbox' and @name='entered' and not(@checked)]")

    response = client.post(_url(world, "daftar/tandai"), data={"question": code, "entered": "1"}, headers=_hx(token))
    assert response.status_code == 200
    fragment = html.page(response)
    assert html.one(fragment, f"//li[@id='mark-{code.replace('.', '_')}']//input[@name='entered']").get("checked") \
        is not None
    assert "1 of 274 entered" in html.text_of(fragment, "//*[@id='marks-progress' and @hx-swap-oob='true']")
    assert _marks(db, world)[code].entered and _marks(db, world)[code].entered_by == _user(db, "dp3a_a").id
    assert len(_audits(db)) == 1

    again = client.post(_url(world, "daftar/tandai"), data={"question": code, "entered": "1"}, headers=_hx(token))
    assert again.status_code == 200 and len(_audits(db)) == 1  # nothing changed, nothing audited

    # Without JavaScript: a plain POST, the unchecked box sends nothing, back to the checklist.
    plain = client.post(_url(world, "daftar/tandai"), data={"question": code}, headers=_plain(token),
                        follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"].endswith(f"#mark-{code.replace('.', '_')}")
    assert not _marks(db, world)[code].entered and _marks(db, world)[code].entered_at is None
    audits = _audits(db)
    assert [a.action for a in audits] == ["handoff.entered", "handoff.not_entered"]


def test_a_whole_indicator_and_a_part_at_once(make_client, auth, db, world, catalogue):
    client, token = _client(make_client, auth, "dp3a_a")
    indicator = catalogue.data.parts[1].indicators[0]
    response = client.post(_url(world, "daftar/kelompok"), data={"indicator": indicator.code, "entered": "1"},
                           headers=_plain(token))
    assert response.status_code == 200  # followed back to the checklist
    page = html.page(response)
    assert f"{len(indicator.questions)} questions of indicator {indicator.code} ticked" in html.text_of(
        page, "//*[@role='status']")
    assert {c for c, m in _marks(db, world).items() if m.entered} == {q.code for q in indicator.questions}
    assert len(_audits(db)) == 1
    client.post(_url(world, "daftar/kelompok"), data={"indicator": indicator.code, "entered": "1"},
                headers=_plain(token))
    assert len(_audits(db)) == 1  # the second time changes nothing

    part = catalogue.data.parts[0]
    client.post(_url(world, "daftar/kelompok"), data={"part": part.code, "entered": "1"}, headers=_plain(token))
    in_part = {q.code for i in part.indicators for q in i.questions}
    assert {c for c, m in _marks(db, world).items() if m.entered} == in_part | {q.code for q in indicator.questions}
    page = html.page(client.get(_url(world, "daftar?tampil=belum")))
    shown = {li.get("id") for li in page.xpath("//li[contains(@class, 'mark-card')]")}
    assert len(shown) == 274 - len(in_part) - len(indicator.questions)
    assert f"mark-{next(iter(in_part)).replace('.', '_')}" not in shown

    refused = client.post(_url(world, "daftar/kelompok"), data={"indicator": "nope", "entered": "1"},
                          headers=_plain(token))
    assert refused.status_code == 422
    assert "Indicator nope is not in the instrument." in html.text_of(html.page(refused), "//*[@role='alert']")


def test_official_score_validation(make_client, auth, db, world, catalogue):
    code, _option = _options_question(catalogue)
    maximum = catalogue.questions[code].question.max
    client, token = _client(make_client, auth, "dp3a_a")
    url = _url(world, "daftar/nilai")

    ok = client.post(url, data={"question": code, "official_score": "7,5"}, headers=_hx(token))
    assert ok.status_code == 200
    assert str(_marks(db, world)[code].official_score) == "7.50"
    card = html.page(ok)
    assert html.one(card, "//input[@name='official_score']").get("value") == "7.5"
    assert html.texts(card, "//*[@id='marks-progress']//dd")[1:] == ["1", "1"]  # with a Nilai EM, differing

    for typed, words in (("12,345", "at most 2 decimals"), (str(maximum + 1), "must be between 0 and"),
                         ("-1", "must be between 0 and"), ("dua belas", "is not a number"), ("NaN", "not a number"),
                         ("1e400", "not a number")):
        refused = client.post(url, data={"question": code, "official_score": typed}, headers=_hx(token))
        assert refused.status_code == 422, typed
        assert words in html.text_of(html.page(refused), "//*[@role='alert']"), typed
        assert str(_marks(db, world)[code].official_score) == "7.50"  # nothing written

    assert len(_audits(db)) == 1
    client.post(url, data={"question": code, "official_score": "7.50"}, headers=_hx(token))
    assert len(_audits(db)) == 1  # the same figure: unchanged
    cleared = client.post(url, data={"question": code, "official_score": ""}, headers=_plain(token),
                          follow_redirects=False)
    assert cleared.status_code == 303 and _marks(db, world)[code].official_score is None
    assert len(_audits(db)) == 2

    # In Indonesian: the message in the user's language, "12,5" read with its comma.
    client.cookies.set("kla_lang", "id")
    small = next(r.question.code for r in catalogue.iter_questions() if 0 < r.question.max < 12)
    refused = client.post(url, data={"question": small, "official_score": "12,5"}, headers=_hx(token))
    assert refused.status_code == 422
    assert html.text_of(html.page(refused), "//*[@role='alert']")
    assert client.post(url, data={"question": "no-such", "official_score": "1"}, headers=_hx(token)).status_code == 422


def test_pasted_scores_all_or_nothing(make_client, auth, db, world, catalogue):
    codes = [r.question.code for r in catalogue.iter_questions() if r.question.max >= 10][:3]
    client, token = _client(make_client, auth, "dp3a_a")
    url = _url(world, "nilai-em")
    assert client.get(url).status_code == 200
    bad = "Kode\tNilai EM\n" + f"{codes[0]}\t5,25\n{codes[1]};99999\nZZ.9\t3\n{codes[2]}\n{codes[0]}\t1\n"
    response = client.post(url, data={"pasted": bad}, headers=_plain(token))
    assert response.status_code == 422
    page = html.page(response)
    rows = [html.texts(tr, "./td") for tr in page.xpath("//table[contains(@class, 'paste-bad')]/tbody/tr")]
    assert [row[0] for row in rows] == ["3", "4", "5", "6"]
    assert "must be between 0 and" in rows[0][2] and "not in the instrument" in rows[1][2]
    assert "two columns" in rows[2][2] and "already on line 2" in rows[3][2]
    assert _marks(db, world) == {} and _audits(db) == []  # nothing half-saved
    assert html.one(page, "//textarea[@name='pasted']").text.strip().startswith("Kode")  # kept to fix

    good = f"Kode;Nilai EM\n{codes[0]}\t5,25\n\n{codes[1]};10\n{codes[2]}\t0\t\t\n"
    response = client.post(url, data={"pasted": good}, headers=_plain(token))
    assert response.status_code == 200
    assert "3 lines read; 3 Nilai EM changed" in html.text_of(html.page(response), "//h2")
    assert {c: str(m.official_score) for c, m in _marks(db, world).items()} == {
        codes[0]: "5.25", codes[1]: "10.00", codes[2]: "0.00"}
    assert len(_audits(db)) == 1
    again = client.post(url, data={"pasted": good}, headers=_plain(token))
    assert "0 Nilai EM changed" in html.text_of(html.page(again), "//h2") and len(_audits(db)) == 1
    empty = client.post(url, data={"pasted": "  \n"}, headers=_plain(token))
    assert empty.status_code == 422 and html.text_of(html.page(empty), "//*[@role='alert']")


def _answer_and_record(db, world, scorer, catalogue):
    """Two answered questions of A with a Nilai EM each (one agreeing, one not) and one unanswered."""
    opd = _user(db, "opd_a")
    first, best = _options_question(catalogue, 0)
    second, _best = _options_question(catalogue, 1)
    low = catalogue.scales[catalogue.questions[second].question.scale].options[0].code
    save_answer(db, world.assessments["a"], first, AnswerInput(option=best), 0, opd, scorer)
    save_answer(db, world.assessments["a"], second, AnswerInput(option=low), 0, opd, scorer)
    third = next(r.question.code for r in catalogue.iter_questions() if r.question.code not in (first, second)
                 and r.question.max > 0)
    ours_first = scorer.question_points(first, Answer(option=best))
    ours_second = scorer.question_points(second, Answer(option=low))
    for code, cents in ((first, ours_first), (second, ours_second + 250), (third, 100)):
        db.add(HandoffMark(assessment_id=world.assessments["a"].id, question_code=code,
                           official_score=cents / 100))
    db.commit()
    return (first, ours_first), (second, ours_second), third


def test_dashboard_and_calibration_compare_with_the_scorer(make_client, auth, db, world, scorer, catalogue):
    (first, ours_first), (second, ours_second), third = _answer_and_record(db, world, scorer, catalogue)
    client, _token = _client(make_client, auth, "dp3a_a")
    dashboard = html.page(client.get(f"{world.base('a')}/dasbor"))
    section = html.one(dashboard, "//section[@id='official-comparison']")
    assert "3 questions compared" in html.text_of(section)
    total = html.texts(section, ".//tr[@id='official-total']/td")
    ours, official = ours_first + ours_second, ours_first + ours_second + 250 + 100
    from app.i18n import format_cents
    assert total[:3] == [format_cents(ours, language="en"), format_cents(official, language="en"),
                         format_cents(ours - official, language="en")]
    part = catalogue.questions[first].part.code
    assert html.one(section, f".//tr[@id='official-part-{part.replace('.', '_')}']") is not None
    assert section.xpath(".//a[contains(@href, '/serah-terima/kalibrasi')]")

    page = html.page(client.get(_url(world, "kalibrasi")))
    assert html.text_of(page, "//*[@id='cal-compared']") == "3 of 274"
    assert html.text_of(page, "//*[@id='cal-difference']") == format_cents(ours - official, language="en")
    differing = {tr.get("id") for tr in page.xpath("//table[contains(@class, 'calibration-questions')]/tbody/tr")}
    assert differing == {f"cal-q-{second.replace('.', '_')}", f"cal-q-{third.replace('.', '_')}"}
    scale = catalogue.questions[second].question.scale
    row = html.one(page, f"//tr[@id='cal-scale-{scale.replace('.', '_')}']")
    assert "-" in html.text_of(row, "./td[4]") or "−" in html.text_of(row, "./td[4]")
    assert "compared questions have no answer" in html.text_of(page)

    workbook = client.get(_url(world, "kalibrasi.xlsx"))
    assert workbook.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    sheet = book["Per pertanyaan"]
    assert {sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)} == {first, second, third}
    parts = book["Per bagian"]
    assert parts.cell(row=parts.max_row, column=6).value == (ours - official) / 100


def test_filters_show_what_they_say(make_client, auth, db, world, scorer, catalogue):
    (first, _), (second, _), third = _answer_and_record(db, world, scorer, catalogue)
    client, _token = _client(make_client, auth, "dp3a_a")

    def shown(filter_key):
        page = html.page(client.get(_url(world, f"daftar?tampil={filter_key}")))
        return {li.get("id").removeprefix("mark-") for li in page.xpath("//li[contains(@class, 'mark-card')]")}

    assert shown("nilai") == {c.replace(".", "_") for c in (first, second, third)}
    assert shown("beda") == {c.replace(".", "_") for c in (second, third)}
    assert shown("sudah") == set()
    assert len(shown("anything")) == 274


def test_read_by_reviewers_once_submitted_written_by_the_dp3a_only(make_client, auth, db, world, catalogue):
    code, _option = _options_question(catalogue)
    province, token_p = _client(make_client, auth, "province")
    assert province.get(_url(world, "daftar")).status_code == 403  # before submission: the kab/kota's own
    for username in ("opd_a", "dp3a_b", "opd_b"):
        other, token = _client(make_client, auth, username)
        assert other.get(_url(world, "daftar")).status_code == 403, username
        assert other.post(_url(world, "daftar/tandai"), data={"question": code, "entered": "1"},
                          headers=_plain(token)).status_code == 403, username
    assessment = world.assessments["a"]
    assessment.stage = "province"
    db.add(assessment)
    db.commit()
    page = html.page(province.get(_url(world, "daftar")))
    assert page.xpath("//li[contains(@class, 'mark-card')]") and not page.xpath("//input[@name='entered']")
    assert province.post(_url(world, "daftar/tandai"), data={"question": code, "entered": "1"},
                         headers=_plain(token_p)).status_code == 403
    assert province.get(_url(world, "kalibrasi")).status_code == 200
    # The DP3A goes on recording after submission: the ministry's application keeps its figures.
    dp3a, token = _client(make_client, auth, "dp3a_a")
    assert dp3a.post(_url(world, "daftar/tandai"), data={"question": code, "entered": "1"},
                     headers=_hx(token)).status_code == 200
    assert dp3a.get(f"/r/{world.regency_b.code}/{world.year + 50}/serah-terima/daftar").status_code in (403, 404)


def test_refused_after_publication(make_client, auth, db, world, catalogue):
    code, _option = _options_question(catalogue)
    cycle = db.get(Cycle, world.assessments["a"].cycle_id)
    cycle.published_at = utcnow()
    cycle.published_by = _user(db, "admin").id
    db.add(cycle)
    db.commit()
    client, token = _client(make_client, auth, "dp3a_a")
    page = html.page(client.get(_url(world, "daftar")))
    assert "read-only" in html.text_of(page, "//*[@role='note']") and not page.xpath("//input[@name='entered']")
    for tail, data in (("daftar/tandai", {"question": code, "entered": "1"}),
                       ("daftar/nilai", {"question": code, "official_score": "1"}),
                       ("daftar/kelompok", {"part": catalogue.data.parts[0].code, "entered": "1"}),
                       ("nilai-em", {"pasted": f"{code}\t1"})):
        refused = client.post(_url(world, tail), data=data, headers=_plain(token))
        assert refused.status_code == 409, tail
        assert "award list of this year has been published" in html.text_of(html.page(refused), "//*[@role='alert']")
    assert _marks(db, world) == {} and _audits(db) == []


def test_two_first_ticks_at_once_one_wins_the_other_is_told(db, world, catalogue, monkeypatch):
    """The second request saw no mark yet (read before the first committed): its insert meets the
    unique row, and it gets a clear conflict instead of a server error."""
    import pytest

    from app.refusals import Conflict
    from app.services import handoff_marks

    code, _option = _options_question(catalogue)
    assessment = world.assessments["a"]
    cycle = db.get(Cycle, assessment.cycle_id)
    db.add(HandoffMark(assessment_id=assessment.id, question_code=code, entered=True))
    db.commit()
    monkeypatch.setattr(handoff_marks, "marks_of", lambda session, assessment_id: {})
    with pytest.raises(Conflict):
        handoff_marks.set_entered(db, _user(db, "dp3a_a"), assessment, cycle, catalogue, [code], True)
    assert len(_marks(db, world)) == 1 and _audits(db) == []
