"""Issue 20, item 5: the dashboard's gap plan says which score it starts from, and shows the plan on
the self-assessed score of the headline beside the plan on the checked score."""

from __future__ import annotations

from lxml import html as lxml_html

from app.services import review as review_service
from app.services.answers import scored_answers
from scoring import format_points, readiness
from tests.web.test_review import _answer_as, _dinkes_codes


def _text(element) -> str:
    return " ".join(element.text_content().split())


def test_the_plan_names_its_score_and_follows_the_headline(client, world, auth, db, scorer, catalogue):
    codes = _dinkes_codes(catalogue, 40)
    _answer_as(db, world, scorer, catalogue, "opd_a", codes)
    token = auth.login(client, "dp3a_a")
    for code in codes[:5]:
        assert client.post(f"{world.base()}/verifikasi/{code}", data={"action": "approved", "csrf_token": token},
                           follow_redirects=False).status_code == 303

    page = lxml_html.fromstring(client.get(f"{world.base()}/dasbor").text)
    cards = {stage: _text(page.xpath(f'//table[contains(@class, "stages")]//tr[contains(@class, "stage-{stage}")]'
                                     '/td[contains(@class, "key-figure")]')[0])
             for stage in ("self", "dp3a")}
    assert cards["self"] != cards["dp3a"]
    plans = page.xpath('//section[@class="gap"]/div[contains(@class, "gap-plan")]')
    assert [p.get("class").split()[-1] for p in plans] == ["gap-self", "gap-dp3a"]

    db.expire_all()
    state = review_service.load_state(db, world.assessments["a"])
    answers = scored_answers(state.answers)
    expected = {"self": readiness(scorer, answers), "dp3a": readiness(scorer, answers, state.verdicts("dp3a"))}
    # The DP3A has decided 5 of the 40 answers: its plan heading names the points verified so far and
    # the questions still undecided, never a category (issue 22).
    for plan, (stage, wording) in zip(plans, (("self", "Dari nilai evaluasi mandiri: {total}, "),
                                              ("dp3a", "{total} (35 ")), strict=True):
        heading = _text(plan.xpath("./h3")[0])
        assert wording.format(total=cards[stage]) in heading, heading
        lead = _text(plan.xpath('./p[@class="lead"]')[0])
        ready = expected[stage]
        assert lead.startswith(f"Untuk mencapai {ready.next_category.name}: "
                               f"+{format_points(ready.points_missing, ',')} poin"), lead
        assert len(plan.xpath('.//table[@class="plan"]/tbody/tr')) == len(ready.plan)
    assert expected["self"].points_missing != expected["dp3a"].points_missing
