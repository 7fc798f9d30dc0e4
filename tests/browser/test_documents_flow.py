"""Issue 23, evidence as documents, clicked through in a browser: a focal point (OPD) uploads a Surat
Edaran into the document library, corrects the data read from it, and links it to two questions at
once; the DP3A sees the period flag ("bukan tahun berjalan") on the card, in the review queue and on
the review page (its reason chosen), and downloads the hand-off package, whose ZIP holds the file in
both questions' folders as `<code>_1_<title>.pdf` and whose workbook lists it.

The flow runs at 1280 px; the pages it visits (library, document page, card, hand-off, Kelana/Dekela)
are then shown at 360 px too, with a screenshot of each width in test-artifacts/browser/docs-*.png.

Kabupaten Murung Raya (62.12) in this file's own year (YEAR), which no other browser test uses: the
demo's 2024 is published (read-only), so the test opens YEAR with the region's 2024 answers given
again and submitted (tests/browser/seasons.py), and adds a Dinkes operator account. The two questions
are Dinkes questions still unanswered in YEAR, of a period a Surat Edaran dated three years before
YEAR is outside of (not a question where a standing decree is judged by being in force).

New pages' words may still be untranslated (locales/pending/): the test finds things by their ids and
data attributes, not by their text.
"""

from __future__ import annotations

import io
import re
import zipfile

from fpdf import FPDF
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from app.db import make_engine
from app.models import Agency, Answer, Assignment, Regency
from app.services.demo import _slug
from app.services.handoff.names import file_name, segment
from app.services.handoff.plan import SENSITIVE_FOLDER
from scoring import periods
from scoring.periods import Period
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import (
    Question,
    assert_fits,
    best_answer,
    login_as,
    new_person,
    open_card,
    queue_row,
    shot,
)
from tests.browser.seasons import agency_account, assessment_of, live_cycle, live_database_url

REGION = "62.12"  # Kabupaten Murung Raya: no other browser test uses it
YEAR = 2035  # this file's own live cycle
DATED = f"{YEAR - 3}-03-14"  # three years before the cycle: out of the period of both questions
TITLE = "Surat Edaran Percepatan Imunisasi Dasar Lengkap"
NUMBER = f"440/27/Dinkes/{YEAR - 3}"


def _edaran_pdf(regency: str) -> bytes:
    """The first page of a Surat Edaran with a text layer (its kind, number and date can be read)."""
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    upper = regency.upper()
    for line in [f"PEMERINTAH {upper}", "DINAS KESEHATAN", f"Puruk Cahu, 14-03-{YEAR - 3}",
                 f"SURAT EDARAN BUPATI {upper.removeprefix('KABUPATEN ')}", f"Nomor: {NUMBER}", "TENTANG",
                 "PERCEPATAN IMUNISASI DASAR LENGKAP", "Yth. Kepala Puskesmas se-Kabupaten",
                 "Dalam rangka pemenuhan hak anak atas kesehatan, dengan ini diminta agar seluruh puskesmas ..."]:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT", align="C" if line.isupper() else "L")
    pdf.set_title("Surat Edaran imunisasi")
    return bytes(pdf.output())


def _prepare(url: str, catalogue) -> tuple[str, str, str, list[Question]]:
    """The live cycle, a Dinkes account, and two unanswered Dinkes questions on an options scale whose
    period a document dated DATED is outside of: (region's name, dinkes username, dp3a username, [q1, q2])."""
    live_cycle(url, catalogue, REGION, YEAR)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            regency = session.get(Regency, REGION)
            assert regency is not None
            slug = _slug(regency.name)
            assessment = assessment_of(session, REGION, YEAR)
            dinkes = session.exec(select(Agency).where(Agency.regency_code == REGION, Agency.role_code == "DINKES")
                                  .order_by(col(Agency.id))).first()
            assert dinkes is not None
            assigned = set(session.exec(select(Assignment.question_code).where(
                Assignment.assessment_id == assessment.id, Assignment.agency_id == dinkes.id)).all())
            answered = set(session.exec(select(Answer.question_code).where(
                Answer.assessment_id == assessment.id)).all())
            region_name = regency.name
    finally:
        engine.dispose()
    agency_account(url, REGION, "DINKES", f"dinkes.{slug}")
    picks = []
    for code, ref in catalogue.questions.items():
        question = ref.question
        need = periods.requirement(question)
        if (code in assigned and code not in answered and not question.sensitive
                and catalogue.scales[question.scale].kind == "options"
                and need.period != Period.ANY and not need.standing_ok):
            picks.append(Question(code, code.replace(".", "_")))
    assert len(picks) >= 2, f"{REGION}: fewer than two open Dinkes questions of a dated period: {picks}"
    return region_name, f"dinkes.{slug}", f"dp3a.{slug}", picks[:2]


def test_a_document_uploaded_linked_flagged_and_handed_off(browser, live_server, artifacts, catalogue,
                                                          tmp_path, tmp_path_factory):
    region_name, opd_user, dp3a_user, (first, second) = _prepare(live_database_url(tmp_path_factory), catalogue)
    base = f"{live_server}/r/{REGION}/{YEAR}"
    landing = re.compile(rf"/r/{re.escape(REGION)}/{YEAR}/")

    def snap(target, name: str, width: str = "1280") -> None:
        """A screenshot of the whole page (or of one element) to look at: docs-<width>-<name>.png."""
        if isinstance(target, Page):
            target.screenshot(path=str(artifacts / f"docs-{width}-{name}.png"), full_page=True, caret="initial")
        else:
            shot(target, artifacts, f"docs-{width}-{name}")

    # -- the focal point ---------------------------------------------------------------------------
    opd = new_person(browser, DESKTOP)
    login_as(opd, live_server, opd_user, landing)

    # 1. The library: upload a Surat Edaran.
    opd.goto(f"{base}/dokumen")
    expect(opd.locator("h1")).to_be_visible()
    snap(opd, "library")
    pdf = tmp_path / "surat-edaran-imunisasi.pdf"
    pdf.write_bytes(_edaran_pdf(region_name))
    opd.locator("#lib-file").set_input_files(pdf)
    opd.locator("form.upload button[type=submit]").click()

    # 2. The document's page: what was read from the file is pre-filled.
    expect(opd).to_have_url(re.compile(rf"{re.escape(base)}/dokumen/\d+$"))
    document_url = opd.url
    expect(opd.locator("p.read-from-file")).to_be_visible()
    expect(opd.locator("#doc-kind")).to_have_value("surat_edaran")
    expect(opd.locator("#doc-number")).to_have_value(re.compile(re.escape(NUMBER), re.IGNORECASE))
    expect(opd.locator("#doc-date")).to_have_value(DATED)
    expect(opd.locator("#doc-year")).to_have_value(str(YEAR - 3))
    expect(opd.locator("#doc-title")).to_have_value(re.compile("Imunisasi Dasar Lengkap", re.IGNORECASE))
    snap(opd, "document-read")

    # 3. The focal point corrects the title, the number's spelling and the issuer, and saves.
    opd.locator("#doc-title").fill(TITLE)
    opd.locator("#doc-number").fill(NUMBER)
    opd.locator("#doc-issuer").fill("Bupati Murung Raya")
    opd.locator("form.document-data button[type=submit]").click()
    expect(opd.locator("header.page-head p.ok[role=status]")).to_be_visible()
    expect(opd.locator("h1")).to_have_text(TITLE)
    expect(opd.locator("#doc-title")).to_have_value(TITLE)
    expect(opd.locator("#doc-date")).to_have_value(DATED)
    expect(opd.locator("#doc-number")).to_have_value(NUMBER)

    # 4. Linked to two questions at once.
    form = opd.locator("form.link-questions")
    for question in (first, second):
        form.locator(f"#link-{question.dom}").check()
    form.locator("button[type=submit]").click()
    expect(opd.locator("header.page-head p.ok[role=status]")).to_be_visible()
    links = opd.locator("ul.document-links li")
    expect(links).to_have_count(2)
    for question in (first, second):
        expect(links.get_by_role("link", name=question.code, exact=True)).to_be_visible()
        expect(opd.locator(f"#link-{question.dom}")).to_be_disabled()
    snap(opd, "document-linked")

    # 5. On each card: the document line and the period flag; the focal point answers and submits.
    opd.goto(f"{base}/isian")
    for question in (first, second):
        card = open_card(opd, question)
        evidence = card.locator(f"#evidence-{question.dom}")
        expect(evidence.locator(".document-line")).to_contain_text(TITLE)
        expect(evidence.locator(".doc-flag[data-flag=out_of_period]")).to_be_visible()
        kind, given, _scored = best_answer(catalogue, question.code)
        assert kind == "option"
        card.locator(f"input[type=radio][name=option][value='{given}']").check()
        expect(opd.locator(f"#badge-{question.dom}")).to_have_text("draf")
        if question is first:
            snap(opd.locator(question.row), "card-opd")
        card.get_by_role("button", name="Kirim jawaban ini untuk diverifikasi").click()
        expect(opd.locator(f"#badge-{question.dom}")).to_have_text("dikirim")
    opd.context.close()

    # -- the DP3A ------------------------------------------------------------------------------------
    dp3a = new_person(browser, DESKTOP)
    login_as(dp3a, live_server, dp3a_user, landing)

    # 6. The card shows the flag to the DP3A too.
    dp3a.goto(f"{base}/isian")
    card = open_card(dp3a, first)
    expect(card.locator(".doc-flag[data-flag=out_of_period]")).to_be_visible()
    snap(dp3a.locator(first.row), "card-dp3a")

    # 7. The review queue: both answers carry the badge, and the "bukan tahun berjalan" filter keeps them.
    dp3a.goto(f"{base}/verifikasi?periode=1")
    for question in (first, second):
        expect(queue_row(dp3a, question.code).locator(".period-flag")).to_be_visible()
    expect(dp3a.locator("input[name=periode]")).to_be_checked()
    snap(dp3a, "queue")

    # 8. The review page: a return prepared from the flag pre-selects "bukan tahun berjalan".
    dp3a.goto(f"{base}/verifikasi/{first.code}")
    expect(dp3a.locator(".file-flags .doc-flag[data-flag=out_of_period]")).to_be_visible()
    dp3a.locator("a.flag-return").first.click()
    expect(dp3a).to_have_url(re.compile(r"[?&]dari=\d+"))
    expect(dp3a.locator("#reason-bukan_tahun_berjalan")).to_be_checked()
    snap(dp3a, "review-from-flag")

    # 9. The hand-off package: both folders hold the file under its title; the workbook lists it.
    dp3a.goto(f"{base}/serah-terima")
    expect(dp3a.locator("#handoff-download")).to_be_visible()
    snap(dp3a, "handoff")
    with dp3a.expect_download() as info:
        dp3a.locator("#handoff-download").click()
    package = tmp_path / "paket.zip"
    info.value.save_as(package)
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        assert not any(name.startswith(SENSITIVE_FOLDER) and (first.code in name or second.code in name)
                       for name in names)
        for question in (first, second):
            ref = catalogue.questions[question.code]
            expected = (f"{segment(ref.part.code, 20)}/{segment(question.code, 20)}/"
                        f"{file_name(question.code, 1, TITLE, 'pdf')}")
            assert expected == f"{ref.part.code}/{question.code}/{question.code}_1_{TITLE}.pdf"
            assert expected in names, f"{expected} is not in the package: {sorted(names)[:20]} ..."
            assert archive.read(expected) == pdf.read_bytes()
        workbooks = [name for name in names if name.endswith(".xlsx")]
        assert len(workbooks) == 1, workbooks
        book = load_workbook(io.BytesIO(archive.read(workbooks[0])), read_only=True)
    files_sheet = [row for row in book["Berkas"].iter_rows(values_only=True) if row and row[0]]
    for question in (first, second):
        rows = [row for row in files_sheet if row[0] == question.code]
        assert len(rows) == 1, f"{question.code}: {rows}"
        code, n, title, _kind, number, year, _sensitive, _size, where = rows[0]
        assert (str(n), title, number, str(year)) == ("1", TITLE, NUMBER, str(YEAR - 3))
        assert where.endswith(f"{question.code}_1_{TITLE}.pdf")
    answers_sheet = {row[1]: row for row in book["Serah terima"].iter_rows(values_only=True) if row and row[1]}
    for question in (first, second):
        assert TITLE in str(answers_sheet[question.code][10]), answers_sheet[question.code]
    book.close()

    # 10. Kelana/Dekela and its first kecamatan.
    dp3a.goto(f"{base}/kelana")
    expect(dp3a.locator("#kelana-results")).to_be_visible()
    snap(dp3a, "kelana")
    kecamatan = dp3a.locator("article.area p a").first.get_attribute("href")
    assert kecamatan
    dp3a.goto(f"{live_server}{kecamatan}")
    expect(dp3a.locator("article.area").first).to_be_visible()
    snap(dp3a, "kelana-kecamatan")
    dp3a.context.close()

    # -- the same pages on a 360 px phone -------------------------------------------------------------
    phone = new_person(browser, PHONE)
    login_as(phone, live_server, dp3a_user, landing)
    for name, path in [("library", "/dokumen"), ("document", document_url.removeprefix(base)),
                       ("handoff", "/serah-terima"), ("kelana", "/kelana"), ("kelana-kecamatan", kecamatan.removeprefix(
                           f"/r/{REGION}/{YEAR}")), ("queue", "/verifikasi?periode=1")]:
        phone.goto(f"{base}{path}")
        expect(phone.locator("h1")).to_be_visible()
        snap(phone, name, "360")
        assert_fits(phone, name)
    phone.goto(f"{base}/isian")
    open_card(phone, first)
    expect(phone.locator(f"#card-{first.dom} .doc-flag[data-flag=out_of_period]")).to_be_visible()
    snap(phone.locator(first.row), "card", "360")
    assert_fits(phone, "card")
    phone.context.close()
