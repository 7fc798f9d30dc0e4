"""Issue 20, the review desk: the submit checks link their questions (item 7), the queue's status of
a re-submitted answer, its filters kept after a decision, the next answer and select-all (item 6)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from lxml import html as lxml_html
from sqlmodel import select

from app.models import Agency, Answer
from app.services.answers import AnswerInput, save_answer, submit
from tests.web.test_review import _answer_as, _dinkes_codes, _user


def test_submit_checks_link_each_question_and_name_its_agency(client, world, auth, db, scorer, catalogue):
    codes = _dinkes_codes(catalogue, 2)
    _answer_as(db, world, scorer, catalogue, "opd_a", codes)  # submitted, no evidence, not yet checked
    auth.login(client, "dp3a_a")
    base = world.base()
    page = lxml_html.fromstring(client.get(f"{base}/kirim-penilaian").text)
    dinkes = db.get(Agency, world.agencies["dinkes_a"].id)
    checks = page.xpath('//ul[@class="checks"]/li')
    assert len(checks) == 4
    unanswered, _na, without_evidence, not_reviewed = checks
    for item in (without_evidence, not_reviewed):
        links = {a.text_content(): a.get("href") for a in item.xpath('.//li/a')}
        assert {code: urlsplit(links[code]).path for code in codes} == {
            code: f"{base}/verifikasi/{code}" for code in codes}
        for li in item.xpath('.//li'):
            assert dinkes.short_name in li.text_content()
    open_codes = {a.text_content(): urlsplit(a.get("href")).path for a in unanswered.xpath('.//li/a')}
    assert len(open_codes) == len(catalogue.questions) - 2
    other = next(c for c in catalogue.questions if c not in codes)
    assert open_codes[other] == f"{base}/isian/{other}"
    assert client.get(open_codes[other]).status_code == 200
    assert client.get(f"{base}/verifikasi/{codes[0]}").status_code == 200


def _rows(page) -> dict[str, list[str]]:
    """The queue's rows by code: the text of each cell."""
    rows = {}
    for tr in page.xpath('//table[@class="queue"]/tbody/tr'):
        code = tr.xpath('string(.//td/a)')
        rows[code] = [" ".join(td.text_content().split()) for td in tr.xpath("./td")]
    return rows


def test_a_resubmitted_answer_is_waiting_again_in_the_status_column(client, world, auth, db, scorer, catalogue):
    codes = _dinkes_codes(catalogue, 2)
    _answer_as(db, world, scorer, catalogue, "opd_a", codes)
    token = auth.login(client, "dp3a_a")
    base = world.base()
    assert client.post(f"{base}/verifikasi/{codes[0]}", data={
        "action": "returned", "reasons": [catalogue.review_reasons[0].code], "note": "perbaiki",
        "csrf_token": token}, follow_redirects=False).status_code == 303
    returned = _rows(lxml_html.fromstring(client.get(f"{base}/verifikasi?status=all").text))
    assert returned[codes[0]][-2] == "dikembalikan"

    opd = _user(db, "opd_a")
    answer = db.exec(select(Answer).where(Answer.question_code == codes[0])).one()
    db.refresh(answer)
    saved = save_answer(db, world.assessments["a"], codes[0], AnswerInput(option=answer.option, value=answer.value,
                                                                          note="sudah diperbaiki"),
                        answer.version, opd, scorer)
    assert saved.written
    db.refresh(answer)
    submit(db, world.assessments["a"], [answer], opd)
    db.commit()
    rows = _rows(lxml_html.fromstring(client.get(f"{base}/verifikasi?status=all").text))
    assert rows[codes[0]][-2] == "perlu diperiksa lagi"
    assert "berubah sejak diputuskan" in rows[codes[0]][1]
    assert rows[codes[1]][-2] == "perlu diperiksa"
    waiting = _rows(lxml_html.fromstring(client.get(f"{base}/verifikasi").text))
    assert waiting[codes[0]][-2] == "perlu diperiksa lagi"


def test_the_filters_go_to_the_answer_and_back_and_lead_to_the_next(client, world, auth, db, scorer, catalogue):
    codes = _dinkes_codes(catalogue, 4)
    _answer_as(db, world, scorer, catalogue, "opd_a", codes)
    token = auth.login(client, "dp3a_a")
    base = world.base()
    dinkes = world.agencies["dinkes_a"].id
    query = f"part={catalogue.questions[codes[0]].part.code}&opd={dinkes}"
    queue = lxml_html.fromstring(client.get(f"{base}/verifikasi?{query}").text)
    in_list = [c for c in catalogue.questions if c in set(_rows(queue))]
    assert in_list[:1] == codes[:1] and len(in_list) >= 2
    link = queue.xpath(f'//table[@class="queue"]//a[text()="{codes[0]}"]')[0].get("href")
    assert urlsplit(link).path == f"{base}/verifikasi/{codes[0]}"
    assert parse_qs(urlsplit(link).query) == parse_qs(query)

    detail = lxml_html.fromstring(client.get(link).text)
    back = detail.xpath('//a[contains(text(), "Kembali ke antrean")]')[0].get("href")
    assert parse_qs(urlsplit(back).query) == parse_qs(query)
    following = detail.xpath('//a[@rel="next"]')[0]
    assert urlsplit(following.get("href")).path == f"{base}/verifikasi/{in_list[1]}"
    assert "Berikutnya" in following.text_content()
    form = detail.xpath('//form[contains(@action, "/verifikasi/")][.//button[@value="approved"]]')[0]
    assert parse_qs(urlsplit(form.get("action")).query) == parse_qs(query)
    assert detail.xpath('//input[@name="then"][@value="next"]')[0].get("checked") is None

    # A decision leads back to the queue with the same filters...
    done = client.post(form.get("action"), data={"action": "approved", "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert urlsplit(done.headers["location"]).path == f"{base}/verifikasi"
    assert parse_qs(urlsplit(done.headers["location"]).query) == parse_qs(query)
    # ... or, when asked, to the next answer of the filtered list, asking again.
    done = client.post(f"{base}/verifikasi/{in_list[1]}?{query}", data={
        "action": "approved", "then": "next", "csrf_token": token}, follow_redirects=False)
    target = urlsplit(done.headers["location"])
    assert target.path == f"{base}/verifikasi/{in_list[2]}"
    assert parse_qs(target.query) == {**parse_qs(query), "lanjut": ["1"]}
    page = lxml_html.fromstring(client.get(done.headers["location"]).text)
    assert page.xpath('//input[@name="then"]')[0].get("checked") is not None
    assert "Disetujui: " + in_list[1] in page.xpath('string(//section[@id="decision"])')
    # A batch approval keeps them too.
    batch = client.post(f"{base}/verifikasi-massal?{query}", data={"codes": [in_list[2]], "csrf_token": token},
                        follow_redirects=False)
    assert parse_qs(urlsplit(batch.headers["location"]).query) == parse_qs(query)


def test_the_queue_offers_select_all_from_a_static_script(client, world, auth, db, scorer, catalogue):
    _answer_as(db, world, scorer, catalogue, "opd_a", _dinkes_codes(catalogue, 2))
    auth.login(client, "dp3a_a")
    page = lxml_html.fromstring(client.get(f"{world.base()}/verifikasi").text)
    master = page.xpath('//table[@class="queue"]/thead//input[@type="checkbox"]')[0]
    assert master.get("data-select-all") == "codes" and master.get("name") is None
    assert master.get("aria-label")
    assert [s.get("src") for s in page.xpath("//script") if "select-all" in (s.get("src") or "")]
    assert all(s.get("src") for s in page.xpath("//script")), "no inline script"
    assert client.get("/static/select-all.js").status_code == 200


def test_the_review_page_names_the_agency_in_full(client, world, auth, db, scorer, catalogue):
    """Phones cannot hover: the agency's full name is written out, not only its acronym."""
    code = _dinkes_codes(catalogue, 1)[0]
    _answer_as(db, world, scorer, catalogue, "opd_a", [code])
    auth.login(client, "dp3a_a")
    page = lxml_html.fromstring(client.get(f"{world.base()}/verifikasi/{code}").text)
    dinkes = db.get(Agency, world.agencies["dinkes_a"].id)
    said = " ".join(page.xpath("string(//main)").split())
    assert f"{dinkes.short_name} ({dinkes.name})" in said


def test_a_draft_answer_offers_no_decision_and_says_why(client, world, auth, db, scorer, catalogue):
    """An answer an agency has not sent yet (a draft) is opened by its code: the page says it has not been
    submitted and offers no approve/return form (it offered one, whose every use was refused)."""
    draft, sent = _dinkes_codes(catalogue, 2)
    _answer_as(db, world, scorer, catalogue, "opd_a", [draft], send=False)
    _answer_as(db, world, scorer, catalogue, "opd_a", [sent])
    token = auth.login(client, "dp3a_a")
    assert token
    client.cookies.set("kla_lang", "en")
    page = lxml_html.fromstring(client.get(f"{world.base()}/verifikasi/{draft}").text)
    assert " ".join(page.xpath("string(//p[contains(@class,'not-submitted')])").split()) == \
        "This answer has not been submitted for review."
    assert page.xpath("//form[contains(@action,'/verifikasi/')][.//button]") == []
    assert "Decisions at this stage are closed" not in page.xpath("string(//main)")  # it is not closed
    sent_page = lxml_html.fromstring(client.get(f"{world.base()}/verifikasi/{sent}").text)
    assert sent_page.xpath("//p[contains(@class,'not-submitted')]") == []
    assert sent_page.xpath(f"//form[contains(@action,'/verifikasi/{sent}')]")
