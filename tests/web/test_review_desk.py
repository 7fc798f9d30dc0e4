"""Issue 20, the review desk: the submit checks link their questions (item 7), the queue's status of
a re-submitted answer, its filters kept after a decision, the next answer and select-all (item 6)."""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml import html as lxml_html

from app.models import Agency
from tests.web.test_review import _answer_as, _dinkes_codes


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
            assert dinkes.short_name in li.text_content() and dinkes.name in li.text_content()
    open_codes = {a.text_content(): urlsplit(a.get("href")).path for a in unanswered.xpath('.//li/a')}
    assert len(open_codes) == len(catalogue.questions) - 2
    other = next(c for c in catalogue.questions if c not in codes)
    assert open_codes[other] == f"{base}/isian/{other}"
    assert client.get(open_codes[other]).status_code == 200
    assert client.get(f"{base}/verifikasi/{codes[0]}").status_code == 200
