"""What "tidak berlaku" earns (issue 23, item 6): shown per scale on /instrumen, said on the question card
where it is ticked (absent where the scale refuses it), refused on save there, and carried by the API."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Answer
from app.templating import dom_id
from indicators import parse_catalogue
from tests import html

FULL_Q = "24A.1"  # jumlah_kasus_diversi: no ABH cases is the right answer
REFUSED_Q = "1.1"  # perda_kla, made to refuse it here (no live scale refuses it yet)


@pytest.fixture(scope="session")
def catalogue(catalogue_text):
    """This module's instrument: the real one with the Perda KLA's scale refusing "not applicable"."""
    marker = "    code: perda_kla\n"
    return parse_catalogue(catalogue_text.replace(marker, marker + "    not_applicable: refused\n"))
ZERO_Q = "12.1"


def _hx(token):
    return {"X-CSRF-Token": token, "HX-Request": "true"}


def _dp3a(make_client, auth):
    client = make_client()
    token = auth.login(client, "dp3a_a")
    client.cookies.set("kla_lang", "en")
    return client, token


def test_instrument_page_says_what_not_applicable_earns_per_scale(client):
    client.cookies.set("kla_lang", "en")
    tree = html.page(client.get("/instrumen"))
    assert html.text_of(tree, "//tr[@id='na-jumlah_kasus_diversi']/td[3]") == "full points"
    assert html.text_of(tree, "//tr[@id='na-cakupan_layanan']/td[3]") == "full points"
    assert html.text_of(tree, "//tr[@id='na-perda_kla']/td[3]") == "cannot be chosen"
    assert html.text_of(tree, "//tr[@id='na-kegiatan']/td[3]") == "0 points"
    assert "earns 0 points" in html.text_of(tree, "//details[@id='na-scales']")
    # and per question, beside its scale
    row = html.one(tree, "//tr[td[@class='code'][normalize-space()='24A.1']]")
    assert "Not applicable: full points" in html.text_of(row)


def test_the_card_says_what_not_applicable_earns(make_client, auth, world):
    dp3a, _ = _dp3a(make_client, auth)
    full = html.page(dp3a.get(f"{world.base()}/isian/{FULL_Q}", headers={"HX-Request": "true"}))
    assert full.xpath(f"//input[@id='na-{dom_id(FULL_Q)}']")
    assert "Earns the full 4" in html.text_of(full, f"//*[@id='na-earns-{dom_id(FULL_Q)}']")
    zero = html.page(dp3a.get(f"{world.base()}/isian/{ZERO_Q}", headers={"HX-Request": "true"}))
    assert "Earns 0 points" in html.text_of(zero, f"//*[@id='na-earns-{dom_id(ZERO_Q)}']")
    refused = html.page(dp3a.get(f"{world.base()}/isian/{REFUSED_Q}", headers={"HX-Request": "true"}))
    assert not refused.xpath(f"//input[@id='na-{dom_id(REFUSED_Q)}']")
    assert "cannot be chosen" in html.text_of(refused, f"//*[@id='na-earns-{dom_id(REFUSED_Q)}']")


def test_not_applicable_scores_full_where_the_scale_says_so(make_client, auth, db, world):
    dp3a, token = _dp3a(make_client, auth)
    saved = dp3a.post(f"{world.base()}/isian/{FULL_Q}", headers=_hx(token),
                      data={"version": "0", "not_applicable": "1", "note": "Tidak ada kasus ABH"})
    assert saved.status_code == 200
    assert html.text_of(html.page(saved), f"//*[@id='points-{dom_id(FULL_Q)}']") == "4.00"


def test_not_applicable_is_refused_where_the_scale_refuses_it(make_client, auth, db, world):
    dp3a, token = _dp3a(make_client, auth)
    refused = dp3a.post(f"{world.base()}/isian/{REFUSED_Q}", headers=_hx(token),
                        data={"version": "0", "not_applicable": "1", "note": "x"})
    assert refused.status_code == 422
    assert "'not applicable' cannot be chosen for this question" in html.text_of(html.page(refused))
    assert not db.exec(select(Answer).where(Answer.question_code == REFUSED_Q)).all()


def test_the_api_catalogue_carries_the_rule_and_the_figures(client):
    data = client.get("/api/v1/catalogue").json()
    questions = {q["code"]: q for p in data["parts"] for i in p["indicators"] for q in i["questions"]}
    assert questions[FULL_Q]["not_applicable"] == "full"
    assert questions[REFUSED_Q]["not_applicable"] == "refused"
    assert questions[ZERO_Q]["not_applicable"] == "zero"
    assert questions["12.3"]["figures"]["measure"] == "share"
    assert questions["12.4"]["figures"]["denominator"] == "" and questions[ZERO_Q]["figures"] is None
