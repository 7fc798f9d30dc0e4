"""Sensitive evidence (Klaster V) on a question's own page, in two browsers of Kota Palangka Raya.

1  The Dinsos focal point opens a sensitive question's page (as from a notice or the history),
   reads why its files are restricted, answers it and uploads a PDF: the page says the file is
   stored but offers no link, and the file's address refuses it with the reason.
2  The DP3A opens the same page: the file is a link; opening it is allowed, and the question's
   history records who opened it. The Dinsos history shows the file's name hidden.

The question's own page has no list around it: nothing it swaps in may aim at the list's rows
(htmx logs each such miss as a console error, which the page fixtures' error watch would catch).
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app.services.demo import sample_pdf
from tests.browser.helpers import SAVED, login_as, new_person, shot

OPD = "dinsos.palangkaraya"
DP3A = "dp3a.palangkaraya"
LANDING = re.compile(r"/r/62\.71/\d{4}/isian$")


def sensitive_codes_of(catalogue, agency: str) -> list[str]:
    return [code for code, ref in catalogue.questions.items()
            if ref.question.sensitive and agency in ref.question.agencies and ref.question.scale
            and catalogue.scales[ref.question.scale].kind == "options"]


def test_sensitive_files_on_a_question_page(browser, live_server, artifacts, catalogue, tmp_path):
    opd = new_person(browser)
    login_as(opd, live_server, OPD, LANDING)
    workspace = opd.url
    code = None
    for candidate in sensitive_codes_of(catalogue, "DINSOS"):
        opd.goto(f"{workspace}/{candidate}")
        if opd.locator("form.upload").count():  # still open for answering
            code = candidate
            break
    assert code is not None, "no open sensitive Dinsos question in the demo region"
    dom = code.replace(".", "_")

    note = opd.locator(".sensitive-note")
    expect(note).to_contain_text("hanya DP3A dan verifikator")
    opd.locator(f"#form-{dom} input[type=radio]").last.check()
    expect(opd.locator(f"#state-{dom}")).to_have_text(SAVED)

    pdf = tmp_path / "laporan-korban.pdf"
    pdf.write_bytes(sample_pdf("Laporan layanan anak korban", "Matriks layanan"))
    opd.locator(f"#files-{dom}").set_input_files(str(pdf))
    opd.locator(f"#card-{dom} form.upload button[type=submit]").click()
    expect(opd.locator(f"#upload-msg-{dom}")).to_contain_text("1 berkas diunggah")
    expect(opd.locator(f"#evidence-{dom}")).to_contain_text("berkas tersimpan")
    expect(opd.locator(f"#card-{dom} a[href*='/bukti/']")).to_have_count(0)
    shot(opd, artifacts, "sensitive-1-opd-question-page")
    assert opd.js_errors == [], opd.js_errors

    dp3a = new_person(browser)
    login_as(dp3a, live_server, DP3A, LANDING)
    dp3a.goto(f"{workspace}/{code}")
    link = dp3a.locator(f"#evidence-{dom} a", has_text="laporan-korban.pdf")
    expect(link).to_have_count(1)
    expect(dp3a.locator(".sensitive-note")).to_contain_text("setiap pembukaan dicatat")
    shot(dp3a, artifacts, "sensitive-2-dp3a-question-page")
    address = live_server + link.get_attribute("href")
    history = workspace.removesuffix("/isian") + f"/riwayat/{code}"

    refused = opd.request.get(address)  # answered like a file that does not exist, without its name
    assert refused.status == 404
    assert "Berkas bukti tidak ditemukan" in refused.text() and "laporan-korban.pdf" not in refused.text()

    opened = dp3a.request.get(address)
    assert opened.status == 200
    assert opened.body().startswith(b"%PDF")

    dp3a.goto(history)
    opening = dp3a.locator("tr", has_text="Bukti dukung sensitif dibuka")
    expect(opening).to_have_count(1)
    expect(opening).to_contain_text("laporan-korban.pdf")
    shot(dp3a, artifacts, "sensitive-3-dp3a-history")

    opd.goto(history)
    expect(opd.locator("tr", has_text="Bukti dukung sensitif dibuka")).to_contain_text("(disembunyikan: sensitif)")
    expect(opd.locator("body")).not_to_contain_text("laporan-korban.pdf")
    shot(opd, artifacts, "sensitive-4-opd-history")

    assert opd.js_errors == [], opd.js_errors
    assert dp3a.js_errors == [], dp3a.js_errors
    opd.context.close()
    dp3a.context.close()
