"""The period check of evidence files (issue 23, items 3 and 4): a document dated outside the period its
question asks for is flagged on the card, in the review queue (with its filter), on the review page
(where a return can start from the flag) and in the submit checks; a carried-over document out of
the new cycle's period needs a newer version; flags follow who may see a file."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from app.models import Answer, CarryOver, Document, Evidence, User
from app.services import answers as answer_service
from app.services import cycles as cycle_service
from app.services.answers import AnswerInput, save_answer
from app.services.demo import sample_pdf
from app.services.evidence import attach
from indicators.models import Period
from scoring.periods import question_period
from scoring.samples import best_answer
from tests import html


def _codes(catalogue, n: int) -> list[str]:
    """Dinkes questions asking for documents of the current period ("tahun berjalan")."""
    return [r.question.code for r in catalogue.iter_questions()
            if "DINKES" in r.question.agencies and r.question.max > 0 and not r.question.sensitive
            and question_period(r.question) == Period.CURRENT][:n]


def _answer_with_file(db, app, world, scorer, code: str, *, year: int | None, title: str = "Laporan kegiatan",
                      username: str = "opd_a", send: bool = True) -> Evidence:
    user = db.exec(select(User).where(User.username == username)).one()
    assessment = world.assessments["a"]
    best = best_answer(scorer, code)
    save_answer(db, assessment, code, AnswerInput(option=best.option, value=best.value, note="catatan"), 0, user,
                scorer)
    answer = db.exec(select(Answer).where(Answer.assessment_id == assessment.id, Answer.question_code == code)).one()
    stored = app.state.evidence.save_file(io.BytesIO(sample_pdf(code, f"bukti {year}")))
    evidence = attach(db, assessment, answer, stored, f"laporan-{code}.pdf", user)
    document = db.get(Document, evidence.document_id)
    document.title, document.year = title, year
    db.add(document)
    if send:
        answer_service.submit(db, assessment, [answer], user)
    db.commit()
    return evidence


@pytest.fixture
def flagged(world, db, app, scorer, catalogue):
    """Two answered Dinkes questions of A: one with a file dated two years too old, one with a file of this year."""
    old, fine = _codes(catalogue, 2)
    evidence = _answer_with_file(db, app, world, scorer, old, year=world.year - 3)
    _answer_with_file(db, app, world, scorer, fine, year=world.year)
    return old, fine, evidence


def _flags_of(tree, evidence_id: int) -> list[str]:
    return html.attrs(tree, f'//*[@data-evidence="{evidence_id}"]//*[@data-flag]/@data-flag')


def test_an_old_document_is_flagged_on_the_card(client, world, auth, flagged):
    old, fine, evidence = flagged
    auth.login(client, "opd_a")
    card = html.page(client.get(f"{world.base()}/isian/{old}", headers={"HX-Request": "true"}))
    assert _flags_of(card, evidence.id) == ["out_of_period"]
    note = html.text_of(card, f'//*[@data-evidence="{evidence.id}"]')
    assert f"{world.year - 3}" in note and f"{world.year - 1}-{world.year}" in note
    other = html.page(client.get(f"{world.base()}/isian/{fine}", headers={"HX-Request": "true"}))
    assert not other.xpath('//*[@data-flag]')


def _queue_codes(tree) -> list[str]:
    return [html.squash(t) for t in html.texts(tree, '//table[@class="queue"]/tbody/tr/td[a]/a')]


def _row_badges(tree, code: str) -> list:
    return tree.xpath(f'//tr[.//a[normalize-space()="{code}"]]//*[contains(@class, "period-flag")]')


def test_the_queue_badges_and_filters_answers_out_of_period(client, world, auth, flagged):
    old, fine, _evidence = flagged
    auth.login(client, "dp3a_a")
    every = html.page(client.get(f"{world.base()}/verifikasi"))
    assert set(_queue_codes(every)) >= {old, fine}
    badges = _row_badges(every, old)
    assert len(badges) == 1 and "1" in html.text_of(badges[0])
    assert not _row_badges(every, fine)
    only = html.page(client.get(f"{world.base()}/verifikasi?periode=1"))
    assert _queue_codes(only) == [old]
    assert html.attrs(only, '//input[@name="periode"]/@checked')
    # The filter goes with the link to the answer, and from there on.
    link = html.attrs(only, f'//table[@class="queue"]//a[normalize-space()="{old}"]/@href')[0]
    assert parse_qs(urlsplit(link).query)["periode"] == ["1"]


def test_a_return_starts_from_the_flag_on_the_review_page(client, world, auth, catalogue, flagged):
    old, _fine, evidence = flagged
    auth.login(client, "dp3a_a")
    page = html.page(client.get(f"{world.base()}/verifikasi/{old}?periode=1"))
    assert _flags_of(page, evidence.id) == ["out_of_period"]
    # The reviewer reads what the file is, as the card shows it: its kind, title and year.
    line = html.texts(page, '//section[@class="review-evidence"]//p[@class="document-line"]')
    assert len(line) == 1 and "Laporan kegiatan" in line[0] and str(world.year - 3) in line[0]
    assert not html.attrs(page, '//input[@id="reason-bukan_tahun_berjalan"]/@checked')
    link = html.attrs(page, '//a[contains(@class, "flag-return")]/@href')[0]
    query = parse_qs(urlsplit(link).query)
    assert query["dari"] == [str(evidence.id)] and query["periode"] == ["1"]
    prepared = html.page(client.get(link))
    assert html.attrs(prepared, '//input[@id="reason-bukan_tahun_berjalan"]/@checked')
    assert not html.attrs(prepared, '//input[@id="reason-tidak_lengkap"]/@checked')
    note = html.text_of(prepared, '//textarea[@id="review-note"]')
    assert f"laporan-{old}.pdf" in note
    assert f"{world.year - 3}" in note and f"{world.year - 1}-{world.year}" in note
    # A file of another answer (or none at all) prepares nothing.
    for other in ("999999", "x"):
        plain = html.page(client.get(f"{world.base()}/verifikasi/{old}?dari={other}"))
        assert not html.attrs(plain, '//input[@id="reason-bukan_tahun_berjalan"]/@checked')


def test_the_submit_checks_list_flagged_answers_as_a_warning(client, world, auth, flagged):
    old, fine, _evidence = flagged
    auth.login(client, "dp3a_a")
    page = html.page(client.get(f"{world.base()}/kirim-penilaian"))
    warnings = page.xpath('//ul[@class="checks"]/li[contains(@class, "flagged-files")]')
    assert len(warnings) == 1
    linked = {html.squash(a.text_content()): urlsplit(a.get("href")).path for a in warnings[0].xpath(".//li/a")}
    assert linked == {old: f"{world.base()}/verifikasi/{old}"}
    assert fine not in linked


def test_submitting_all_warns_of_flagged_files_without_holding_them_back(client, world, auth, db, app, scorer,
                                                                        catalogue):
    old, fine = _codes(catalogue, 2)
    _answer_with_file(db, app, world, scorer, old, year=world.year - 3, send=False)
    _answer_with_file(db, app, world, scorer, fine, year=world.year, send=False)
    token = auth.login(client, "opd_a")
    response = client.post(f"{world.base()}/kirim-semua", data={"csrf_token": token},
                           headers={"HX-Request": "true"})
    message = html.text_of(html.page(response))
    assert "2 jawaban dikirim" in message or "2 answers submitted" in message
    # English until the lead fills the catalogue from locales/pending/i23-periods.yaml.
    assert "1 jawaban memiliki berkas bertanda" in message or "1 answers hold files flagged" in message
    statuses = {a.question_code: a.status for a in db.exec(select(Answer).where(Answer.question_code.in_([old, fine])))}
    assert set(statuses.values()) == {"submitted"}


def test_required_evidence_without_title_or_year_is_flagged(client, world, auth, db, app, scorer, catalogue):
    code = next(r.question.code for r in catalogue.iter_questions()
                if "DINKES" in r.question.agencies and r.question.evidence.required and not r.question.sensitive)
    evidence = _answer_with_file(db, app, world, scorer, code, year=None, title="")
    auth.login(client, "dp3a_a")
    page = html.page(client.get(f"{world.base()}/verifikasi/{code}"))
    assert _flags_of(page, evidence.id) == ["no_title", "no_year"]
    prepared = html.page(client.get(f"{world.base()}/verifikasi/{code}?dari={evidence.id}"))
    assert html.attrs(prepared, '//input[@id="reason-tidak_lengkap"]/@checked')
    assert not html.attrs(prepared, '//input[@id="reason-bukan_tahun_berjalan"]/@checked')
    # Not a period flag: the queue's filter leaves it out.
    assert code not in _queue_codes(html.page(client.get(f"{world.base()}/verifikasi?periode=1")))


def test_a_carried_document_out_of_the_new_period_needs_a_newer_version(
    client, world, auth, db, app, scorer, catalogue
):
    code, fresh_code = _codes(catalogue, 2)
    _answer_with_file(db, app, world, scorer, code, year=world.year - 1, send=False)  # current in its own cycle
    _answer_with_file(db, app, world, scorer, fresh_code, year=world.year, send=False)
    cycle_service.open_cycle(db, catalogue, world.year + 1, from_year=world.year)
    db.commit()
    token = auth.login(client, "dp3a_a")
    url = f"/r/{world.regency_a.code}/{world.year + 1}/bawa"

    def needs_newer(tree, question):
        return tree.xpath(f'//tr[.//strong[normalize-space()="{question}"]]//*[contains(@class, "needs-newer")]')

    proposed = html.page(client.get(url))
    assert len(needs_newer(proposed, code)) == 1 and not needs_newer(proposed, fresh_code)
    carry = db.exec(select(CarryOver).where(CarryOver.question_code == code)).one()
    client.post(url, data={"decision": "accept", "carry_id": str(carry.id), "csrf_token": token})
    accepted = html.page(client.get(url))
    assert len(needs_newer(accepted, code)) == 1
    new = db.exec(select(Answer).where(Answer.question_code == code, Answer.id != carry.source_answer_id)).one()
    evidence = db.exec(select(Evidence).where(Evidence.answer_id == new.id)).one()
    card = html.page(client.get(f"/r/{world.regency_a.code}/{world.year + 1}/isian/{code}",
                                headers={"HX-Request": "true"}))
    assert _flags_of(card, evidence.id) == ["needs_newer"]
    assert card.xpath(f'//*[@data-evidence="{evidence.id}"]//*[contains(@class, "carried-mark")]')


@pytest.fixture
def sensitive_flagged(world, db, app, scorer, catalogue):
    code = next(c for c, ref in catalogue.questions.items()
                if ref.question.sensitive and "DINKES" in ref.question.agencies)
    return code, _answer_with_file(db, app, world, scorer, code, year=world.year - 5, send=False)


def test_a_sensitive_files_flags_are_not_shown_to_an_agency_that_cannot_see_it(
    client, world, auth, sensitive_flagged
):
    code, evidence = sensitive_flagged
    auth.login(client, "opd_a")
    card = client.get(f"{world.base()}/isian/{code}", headers={"HX-Request": "true"})
    tree = html.page(card)
    assert not tree.xpath("//*[@data-flag]") and not tree.xpath("//*[@data-evidence]")
    assert "laporan-" not in card.text
    auth.login(client, "dp3a_a")
    seen = html.page(client.get(f"{world.base()}/isian/{code}", headers={"HX-Request": "true"}))
    assert _flags_of(seen, evidence.id) == ["out_of_period"]


def test_another_region_learns_nothing(client, world, auth, flagged):
    old, _fine, evidence = flagged
    auth.login(client, "dp3a_b")
    for path in ("/verifikasi?periode=1", f"/verifikasi/{old}?dari={evidence.id}", "/kirim-penilaian",
                 f"/isian/{old}"):
        response = client.get(f"{world.base()}{path}")
        assert response.status_code in (403, 404), path
        assert f"laporan-{old}" not in response.text
    own = html.page(client.get(f"{world.base('b')}/verifikasi?periode=1"))
    assert _queue_codes(own) == []
