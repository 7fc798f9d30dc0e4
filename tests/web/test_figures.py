"""Answers as data (issue 23, item 5): the yearly figures of a data question on its card. Saved with
htmx or a plain POST, checked with messages in the user's language, the percentage computed and the
answer's value and score following on a percent scale, the trend shown in words, refused where the
answer is read-only, and idempotent. Pages read as parsed HTML, in English unless said otherwise."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from app.models import Answer, Assessment, AuditEntry, Cycle, User, utcnow
from app.models.documents import Figure
from app.templating import dom_id
from tests import html

PERCENT_Q = "12.3"  # Dinkes, scale persen, a share of infants
TREND_Q = "12.4"  # Dinkes, scale tren_turun, a count of infant deaths


def _client(make_client, auth, username, lang="en"):
    client = make_client()
    token = auth.login(client, username)
    client.cookies.set("kla_lang", lang)
    return client, token


def _hx(token):
    return {"X-CSRF-Token": token, "HX-Request": "true"}


def _years(world):
    return world.year - 2, world.year - 1


def _form(world, first, second, version=0):
    """Figures of the two evaluated years: (numerator, denominator) or None for a blank year."""
    data = {"figures_version": str(version)}
    for year, pair in zip(_years(world), (first, second), strict=True):
        numerator, denominator = pair if pair is not None else ("", "")
        data[f"numerator_{year}"] = str(numerator)
        data[f"denominator_{year}"] = str(denominator)
    return data


def _answer(db, world, code, which="a"):
    db.expire_all()
    return db.exec(select(Answer).where(Answer.assessment_id == world.assessments[which].id,
                                        Answer.question_code == code)).first()


def _figures(db, answer):
    return {f.year: (f.numerator, f.denominator) for f in db.exec(select(Figure).where(Figure.answer_id == answer.id))}


def _audits(db, action="figures.save"):
    return db.exec(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_figures_compute_the_percentage_the_answer_and_its_score(make_client, auth, db, world):
    opd, token = _client(make_client, auth, "opd_a")
    url = f"{world.base()}/isian/{PERCENT_Q}/data"
    saved = opd.post(url, headers=_hx(token), data=_form(world, (450, 500), (1, 3)))
    assert saved.status_code == 200, saved.text
    tree = html.page(saved)
    first, second = _years(world)
    fid = f"fig-{dom_id(PERCENT_Q)}"
    assert "90 %" in html.text_of(tree, f"//tr[@id='{fid}-{first}']")
    assert "33,33 %" in html.text_of(tree, f"//tr[@id='{fid}-{second}']") or \
        "33.33 %" in html.text_of(tree, f"//tr[@id='{fid}-{second}']")
    assert "falling" in html.text_of(tree, f"//*[@id='{fid}-trend']")
    answer = _answer(db, world, PERCENT_Q)
    assert answer.value == Decimal("33.33") and not answer.not_applicable
    assert _figures(db, answer) == {first: (Decimal(450), Decimal(500)), second: (Decimal(1), Decimal(3))}
    # the score follows: 33.33 % of 3 points
    assert html.text_of(tree, f"//*[@id='points-{dom_id(PERCENT_Q)}']") in ("1.00", "1,00")
    assert len(_audits(db)) == 1 and len(_audits(db, "answer.save")) == 1


def test_the_same_figures_twice_write_nothing_the_second_time(make_client, auth, db, world):
    opd, token = _client(make_client, auth, "opd_a")
    url = f"{world.base()}/isian/{PERCENT_Q}/data"
    assert opd.post(url, headers=_hx(token), data=_form(world, (1, 2), (3, 4))).status_code == 200
    version = _answer(db, world, PERCENT_Q).version
    again = opd.post(url, headers=_hx(token), data=_form(world, (1, 2), (3, 4), version))
    assert again.status_code == 200
    assert "No change" in html.text_of(html.page(again))
    assert _answer(db, world, PERCENT_Q).version == version
    assert len(_audits(db)) == 1


def test_a_stale_version_is_a_conflict_when_the_value_would_change(make_client, auth, db, world):
    opd, token = _client(make_client, auth, "opd_a")
    url = f"{world.base()}/isian/{PERCENT_Q}/data"
    assert opd.post(url, headers=_hx(token), data=_form(world, (1, 2), (3, 4))).status_code == 200
    stale = opd.post(url, headers=_hx(token), data=_form(world, (1, 2), (4, 4), version=0))
    assert stale.status_code == 409
    assert _answer(db, world, PERCENT_Q).value == Decimal(75)


def test_wrong_figures_are_refused_with_a_message_and_nothing_is_written(make_client, auth, db, world):
    opd, token = _client(make_client, auth, "opd_a")
    url = f"{world.base()}/isian/{PERCENT_Q}/data"
    first, second = _years(world)
    cases = [
        (_form(world, None, (5, 4)), f"Year {second}: the number counted (5) cannot exceed the total (4)."),
        (_form(world, (-1, 4), None), f"Year {first}: the figures must be 0 or more."),
        (_form(world, ("abc", 4), None), f"Year {first}: 'abc' is not a number."),
        (_form(world, (3, ""), None), f"Year {first}: write the total (denominator) as well."),
        (_form(world, (1.5, 4), None), f"Year {first}: write whole numbers"),
        (_form(world, None, None), "Write the figures of at least one year."),
    ]
    for data, message in cases:
        refused = opd.post(url, headers=_hx(token), data=data)
        assert refused.status_code == 422, (data, refused.status_code)
        assert message in html.text_of(html.one(html.page(refused), "//*[@role='alert']")), message
    assert _answer(db, world, PERCENT_Q) is None
    assert not db.exec(select(Figure)).all() and not _audits(db)


def test_messages_are_in_indonesian_for_an_indonesian_user(make_client, auth, world):
    opd, token = _client(make_client, auth, "opd_a", lang="id")
    refused = opd.post(f"{world.base()}/isian/{PERCENT_Q}/data", headers=_hx(token), data=_form(world, None, (5, 4)))
    assert refused.status_code == 422
    text = html.text_of(html.one(html.page(refused), "//*[@role='alert']"))
    assert str(world.year - 1) in text and "(5)" in text


def test_a_count_shows_its_trend_and_the_option_it_points_to(make_client, auth, db, world):
    opd, token = _client(make_client, auth, "opd_a")
    saved = opd.post(f"{world.base()}/isian/{TREND_Q}/data", headers=_hx(token), data=_form(world, (12, ""), (7, "")))
    assert saved.status_code == 200, saved.text
    tree = html.page(saved)
    fid = f"fig-{dom_id(TREND_Q)}"
    assert "falling" in html.text_of(tree, f"//*[@id='{fid}-trend']")
    assert tree.xpath(f"//*[@id='{fid}-trend']//*[@aria-hidden='true']")  # the arrow, besides the words
    assert "Data show the number falling, or zero" in html.text_of(tree, "//*[contains(@class, 'figures-hint')]")
    answer = _answer(db, world, TREND_Q)
    assert answer.option is None and answer.value is None  # the option stays the person's choice
    assert _figures(db, answer)[world.year - 1] == (Decimal(7), None)
    # no denominator column for a count
    assert not tree.xpath(f"//input[@name='denominator_{world.year - 1}']")


def test_a_plain_post_without_javascript_gets_the_page(make_client, auth, db, world):
    opd, token = _client(make_client, auth, "opd_a")
    page = opd.post(f"{world.base()}/isian/{PERCENT_Q}/data", headers={"X-CSRF-Token": token},
                    data=_form(world, (1, 4), (1, 2)))
    assert page.status_code == 200
    tree = html.page(page)
    assert tree.xpath("//h1") and tree.xpath(f"//form[@method='post'][contains(@action, '/isian/{PERCENT_Q}/data')]")
    assert _answer(db, world, PERCENT_Q).value == Decimal(50)


def test_the_card_offers_the_figures_form_only_on_data_questions(make_client, auth, world):
    opd, _token = _client(make_client, auth, "opd_a")
    card = html.page(opd.get(f"{world.base()}/isian/{PERCENT_Q}", headers={"HX-Request": "true"}))
    first, second = _years(world)
    assert card.xpath(f"//input[@name='numerator_{first}']") and card.xpath(f"//input[@name='denominator_{second}']")
    other = html.page(opd.get(f"{world.base()}/isian/12.1", headers={"HX-Request": "true"}))
    assert not other.xpath("//*[contains(@class, 'figures-block')]")
    refused = opd.post(f"{world.base()}/isian/12.1/data", headers=_hx(_token), data=_form(world, (1, 2), None))
    assert refused.status_code == 422


def test_refused_when_the_window_is_closed_or_the_year_frozen(make_client, auth, db, world):
    assessment = db.get(Assessment, world.assessments["a"].id)
    assessment.window_open = False
    db.add(assessment)
    db.commit()
    opd, token = _client(make_client, auth, "opd_a")
    url = f"{world.base()}/isian/{PERCENT_Q}/data"
    closed = opd.post(url, headers=_hx(token), data=_form(world, (1, 2), None))
    assert closed.status_code == 409
    assert "window is closed" in html.text_of(html.page(closed))
    cycle = db.get(Cycle, assessment.cycle_id)
    cycle.published_at = utcnow()
    cycle.published_by = db.exec(select(User).where(User.username == "admin")).one().id
    db.add(cycle)
    db.commit()
    dp3a, token = _client(make_client, auth, "dp3a_a")
    frozen = dp3a.post(url, headers=_hx(token), data=_form(world, (1, 2), None))
    assert frozen.status_code == 409
    assert "scores are final" in html.text_of(html.page(frozen))
    assert not db.exec(select(Figure)).all()


def test_another_regions_question_is_not_found(make_client, auth, db, world):
    opd_b, token = _client(make_client, auth, "opd_b")
    response = opd_b.post(f"{world.base('a')}/isian/{PERCENT_Q}/data", headers=_hx(token),
                          data=_form(world, (1, 2), None))
    assert response.status_code in (403, 404)
    assert not db.exec(select(Figure)).all()


def test_reviewers_see_the_figures_read_only(make_client, auth, db, world):
    opd, token = _client(make_client, auth, "opd_a")
    assert opd.post(f"{world.base()}/isian/{PERCENT_Q}/data", headers=_hx(token),
                    data=_form(world, (1, 2), (3, 4))).status_code == 200
    answer = _answer(db, world, PERCENT_Q)
    answer.status = "submitted"
    db.add(answer)
    db.commit()
    dp3a, _ = _client(make_client, auth, "dp3a_a")
    page = dp3a.get(f"{world.base()}/verifikasi/{PERCENT_Q}")
    assert page.status_code == 200
    tree = html.page(page)
    block = html.one(tree, "//section[contains(@class, 'figures-block')]")
    assert "75 %" in html.text_of(block) and "rising" in html.text_of(block)
    assert not block.xpath(".//input") and not block.xpath(".//form")


ODD = ["", "-1", str(2**63), "9" * 5000, "²", "١٢٣", "1e400", "NaN", "Infinity", "0.00001", "x" * 5000, "a\x00b",
       "\u202e12", "<script>x</script>", "1.250.000", "12,5"]


def test_odd_values_in_every_figure_field_never_break_the_card(make_client, auth, db, world):
    opd, token = _client(make_client, auth, "opd_a")
    url = f"{world.base()}/isian/{PERCENT_Q}/data"
    valid = _form(world, (1, 2), (3, 4))
    for field in [*valid, "version"]:
        for value in ODD:
            response = opd.post(url, headers=_hx(token), data={**valid, field: value})
            assert response.status_code in (200, 409, 422), (field, value, response.status_code)
    b_answers = db.exec(select(Answer).where(Answer.assessment_id == world.assessments["b"].id)).all()
    assert not b_answers


def test_the_rekap_workbook_carries_the_two_years_figures(make_client, auth, db, world):
    import io

    from openpyxl import load_workbook

    opd, token = _client(make_client, auth, "opd_a")
    assert opd.post(f"{world.base()}/isian/{PERCENT_Q}/data", headers=_hx(token),
                    data=_form(world, (450, 500), (1, 3))).status_code == 200
    dp3a, _ = _client(make_client, auth, "dp3a_a")
    response = dp3a.get(f"{world.base()}/ekspor.xlsx")
    assert response.status_code == 200, response.status_code
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Data dua tahun"]
    header = [c.value for c in sheet[1]]
    first, second = _years(world)
    assert f"Pembilang {first}" in header and f"Persen {second}" in header and header[-1] == "Tren"
    rows = {r[0].value: [c.value for c in r] for r in sheet.iter_rows(min_row=2)}
    assert set(rows) >= {"4.1", "12.4", "17.3a", PERCENT_Q}
    row = dict(zip(header, rows[PERCENT_Q], strict=True))
    assert row[f"Pembilang {first}"] == 450 and row[f"Penyebut {first}"] == 500 and row[f"Persen {first}"] == 90
    assert row[f"Persen {second}"] == 33.33 and row["Tren"] == "turun"
    assert rows["12.4"][header.index(f"Pembilang {first}")] is None


def test_the_computed_percentage_is_read_only_on_the_card(make_client, auth, db, world):
    opd, token = _client(make_client, auth, "opd_a")
    card = html.page(opd.get(f"{world.base()}/isian/{PERCENT_Q}", headers={"HX-Request": "true"}))
    assert html.one(card, f"//input[@id='value-{dom_id(PERCENT_Q)}']").get("readonly") is None
    saved = html.page(opd.post(f"{world.base()}/isian/{PERCENT_Q}/data", headers=_hx(token),
                               data=_form(world, (1, 2), (3, 4))))
    field = html.one(saved, f"//input[@id='value-{dom_id(PERCENT_Q)}']")
    assert field.get("readonly") is not None and field.get("value") == "75"
    assert "Computed from the figures" in html.text_of(saved, f"//*[@id='value-hint-{dom_id(PERCENT_Q)}']")
