"""The hand-off package (paket serah terima): the ZIP's layout read back, the workbook, sensitive files
only for the DP3A in their own folder, who may download it, and `kla export handoff`."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlmodel import select

from app.cli import main as cli
from app.models import Answer, AuditEntry, Document, DocumentKind, Figure, User
from app.services.answers import AnswerInput, save_answer
from app.services.demo import sample_pdf
from app.services.evidence import attach, remove
from app.services.handoff import README_NAME, SENSITIVE_FOLDER
from app.services.handoff.workbook import FILE_SHEET, HEADER_ROW, QUESTION_COLUMNS, QUESTION_SHEET
from indicators import NumberScale, OptionsScale, PercentScale
from tests import html

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)}
REFUSED = re.compile(r'[<>:"\\|?*\x00-\x1f\x7f]')
WORKBOOK = "Kota_Palangka_Raya_{year}_serah_terima.xlsx"


def _user(db, username) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def _codes(catalogue, kind, *, sensitive=False):
    return [code for code, ref in catalogue.questions.items()
            if isinstance(catalogue.scale_of(ref.question), kind) and ref.question.sensitive == sensitive]


@pytest.fixture
def filled(world, db, scorer, catalogue, app):
    """Kab/kota A: an option answer with three files (one titled oddly, one removed, one without a
    title), a percentage, a number with figures, a "not applicable" without files, a sensitive question
    with a file whose bytes are then reused on an ordinary question (sensitive by content)."""
    dp3a = _user(db, "dp3a_a")
    assessment = world.assessments["a"]
    store = app.state.evidence
    option_code = _codes(catalogue, OptionsScale)[0]
    option = catalogue.scale_of(catalogue.questions[option_code].question).options[-1]
    percent_code = _codes(catalogue, PercentScale)[0]
    number_code = _codes(catalogue, NumberScale)[0]
    na_code = _codes(catalogue, OptionsScale)[5]
    sensitive_code = next(c for c, ref in catalogue.questions.items() if ref.question.sensitive)
    reuse_code = _codes(catalogue, OptionsScale)[9]
    answers = {
        option_code: AnswerInput(option=option.code, note="=Perda sudah ditetapkan"),
        percent_code: AnswerInput(value=Decimal("87.5")),
        number_code: AnswerInput(value=Decimal("12")),
        na_code: AnswerInput(not_applicable=True, note="Tidak ada lembaga"),
        sensitive_code: AnswerInput(option=catalogue.scale_of(catalogue.questions[sensitive_code].question)
                                    .options[0].code if isinstance(catalogue.scale_of(
                                        catalogue.questions[sensitive_code].question), OptionsScale) else None,
                                    value=None if isinstance(catalogue.scale_of(
                                        catalogue.questions[sensitive_code].question), OptionsScale) else Decimal(3),
                                    note="kasus"),
        reuse_code: AnswerInput(option=catalogue.scale_of(catalogue.questions[reuse_code].question).options[0].code),
    }
    for code, given in answers.items():
        save_answer(db, assessment, code, given, 0, dp3a, scorer)
    rows = {a.question_code: a for a in db.exec(select(Answer).where(Answer.assessment_id == assessment.id))}

    def put(code, title, body, name):
        stored = store.save_file(io.BytesIO(sample_pdf(title, body)))
        return attach(db, assessment, rows[code], stored, name, dp3a)

    perda = put(option_code, "Perda", "satu", "scan001.pdf")
    document = db.get(Document, perda.document_id)
    document.title, document.kind, document.number, document.year = (
        'Perda No. 5/2021: "KLA" – CON', DocumentKind.PERDA, "Nomor 5 Tahun 2021", 2021)
    db.add(document)
    removed = put(option_code, "Lama", "dua", "lama.pdf")
    remove(db, assessment, removed, dp3a)
    put(option_code, "Foto", "tiga", "foto kegiatan.pdf")
    put(percent_code, "Data", "empat", "data-imunisasi.pdf")
    secret = put(sensitive_code, "Kasus", "rahasia", "visum-anak-budi.pdf")
    stored = store.save_file(io.BytesIO(sample_pdf("Kasus", "rahasia")))  # the same bytes again
    attach(db, assessment, rows[reuse_code], stored, "salinan.pdf", dp3a)
    db.add(Figure(answer_id=rows[number_code].id, year=2023, numerator=Decimal(120), denominator=Decimal(150),
                  unit="anak"))
    db.add(Figure(answer_id=rows[number_code].id, year=2024, numerator=Decimal(12), unit="lembaga"))
    db.commit()
    return {"option": option_code, "option_label": option.label, "percent": percent_code, "number": number_code,
            "number_unit": catalogue.scale_of(catalogue.questions[number_code].question).unit, "na": na_code,
            "sensitive": sensitive_code, "reuse": reuse_code, "secret_sha": secret.sha256, "removed": removed.sha256}


def _windows_safe(path: str) -> bool:
    if len(path) > 160 or not path.isascii():
        return False
    for name in path.rstrip("/").split("/"):
        if (not name or REFUSED.search(name) or name.endswith((".", " "))
                or name.split(".", 1)[0].rstrip(" ").upper() in RESERVED):
            return False
    return True


def _folders(names):
    """Question folders ("KL/1.2a") in the order they first appear, outside the sensitive folder."""
    seen = []
    for name in names:
        if name.startswith(SENSITIVE_FOLDER) or "/" not in name:
            continue
        folder = "/".join(name.rstrip("/").split("/")[:2])
        if folder not in seen:
            seen.append(folder)
    return seen


def _download(client, world):
    response = client.get(f"{world.base()}/serah-terima/paket.zip")
    assert response.status_code == 200, response.text
    return response


def _rows(data: bytes, sheet: str):
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = [tuple(r) for r in book[sheet].iter_rows(values_only=True)]
    book.close()
    return rows


def test_the_dp3a_downloads_the_package_in_the_instruments_order(client, world, auth, db, catalogue, app, filled):
    auth.login(client, "dp3a_a")
    response = _download(client, world)
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == \
        f'attachment; filename="Kota_Palangka_Raya_{world.year}_serah_terima.zip"'
    assert "no-store" in response.headers["cache-control"]
    assert int(response.headers["content-length"]) == len(response.content)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    names = archive.namelist()
    workbook_name = WORKBOOK.format(year=world.year)
    assert names[:2] == [README_NAME, workbook_name]
    assert all(_windows_safe(name) for name in names), [n for n in names if not _windows_safe(n)]

    # Every answered question has its folder, in the instrument's order; unanswered ones none.
    answered = [c for c in catalogue.questions if c in {filled[k] for k in
                                                          ("option", "percent", "number", "na", "sensitive", "reuse")}]
    parts = {code: ref.part.code for code, ref in catalogue.questions.items()}
    assert _folders(names) == [f"{parts[c]}/{c}" for c in answered]
    assert f"{parts[filled['na']]}/{filled['na']}/" in names  # an empty folder: the workbook says why

    # The files: named <code>_<n>_<title>.<ext>, byte-identical to the store, the removed one never.
    store = app.state.evidence
    option_folder = f"{parts[filled['option']]}/{filled['option']}"
    assert [n for n in names if n.startswith(option_folder + "/")] == [
        f"{option_folder}/{filled['option']}_1_Perda No. 5-2021 KLA - CON.pdf",
        f"{option_folder}/{filled['option']}_2_foto kegiatan.pdf",
    ]
    digests = {}
    for info in archive.infolist():
        if not info.is_dir() and "/" in info.filename:
            digests[info.filename] = hashlib.sha256(archive.read(info)).hexdigest()
    assert filled["removed"] not in digests.values()
    for sha in digests.values():
        assert store.path_for(sha).read_bytes() == store.path_for(sha).read_bytes()  # present in the store
        assert hashlib.sha256(store.path_for(sha).read_bytes()).hexdigest() == sha

    # Sensitive files: for the DP3A, in their own folder only; the copy on an ordinary question too.
    secret_paths = sorted(path for path, sha in digests.items() if sha == filled["secret_sha"])
    assert secret_paths == sorted([
        f"{SENSITIVE_FOLDER}/{parts[filled['sensitive']]}/{filled['sensitive']}/{filled['sensitive']}_1_visum-anak-budi.pdf",
        f"{SENSITIVE_FOLDER}/{parts[filled['reuse']]}/{filled['reuse']}/{filled['reuse']}_1_salinan.pdf",
    ])
    assert all(path.startswith(SENSITIVE_FOLDER + "/") for path, sha in digests.items() if sha == filled["secret_sha"])

    # The workbook: every question in order, the answer as it is entered, the note, figures, paths.
    rows = _rows(archive.read(workbook_name), QUESTION_SHEET)
    assert rows[HEADER_ROW] == QUESTION_COLUMNS
    table = {row[1]: dict(zip(QUESTION_COLUMNS, row, strict=True)) for row in rows[HEADER_ROW + 1:]}
    assert [row[1] for row in rows[HEADER_ROW + 1:]] == list(catalogue.questions)
    assert table[filled["option"]]["Jawaban (untuk diisikan)"] == filled["option_label"]
    assert table[filled["option"]]["Catatan"] == "=Perda sudah ditetapkan"
    assert table[filled["percent"]]["Jawaban (untuk diisikan)"] == "87,5%"
    assert table[filled["number"]]["Jawaban (untuk diisikan)"] == f"12 {filled['number_unit']}"
    assert table[filled["number"]]["Data dua tahun"] == "2023: 120 / 150 anak = 80,00%\n2024: 12 lembaga"
    assert table[filled["na"]]["Jawaban (untuk diisikan)"] == "Tidak berlaku"
    assert table[filled["na"]]["Berkas (judul dan lokasi)"] == "Tanpa berkas dukung"
    unanswered = next(c for c in catalogue.questions if c not in answered)
    assert table[unanswered]["Jawaban (untuk diisikan)"] == "Belum dijawab" and table[unanswered]["Folder"] is None
    listed = [line.split(" — ", 1)[1] for row in table.values() for line in (row["Berkas (judul dan lokasi)"] or "")
              .split("\n") if " — " in line]
    assert sorted(listed) == sorted(digests)
    files = _rows(archive.read(workbook_name), FILE_SHEET)
    perda = next(r for r in files if r[0] == filled["option"] and r[1] == 1)
    assert perda[2:7] == ('Perda No. 5/2021: "KLA" – CON', "Perda", "Nomor 5 Tahun 2021", 2021, None)
    assert sorted(r[8] for r in files[1:]) == sorted(digests)
    readme = archive.read(README_NAME).decode("utf-8-sig")
    assert "PAKET SERAH TERIMA" in readme and SENSITIVE_FOLDER in readme and "\r\n" in readme

    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "handoff.download")).all()
    assert len(audit) == 1 and audit[0].after["sensitive"] == 2
    assert not list(store.tmp_dir.glob("handoff-*"))  # the temporary workbook is gone


def test_the_page_says_what_the_package_holds(client, world, auth, filled):
    auth.login(client, "dp3a_a")
    page = client.get(f"{world.base()}/serah-terima")
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    tree = html.page(page)
    assert html.text_of(tree, "//dd[@id='handoff-answered']") == "6 / 274"
    assert html.text_of(tree, "//dd[@id='handoff-files']") == "5"
    assert html.text_of(tree, "//dd[@id='handoff-sensitive']").startswith("2")
    assert html.attrs(tree, "//a[@id='handoff-download']/@href") == [f"{world.base()}/serah-terima/paket.zip"]
    assert html.attrs(tree, "//a[@id='handoff-checklist']/@href") == [f"{world.base()}/serah-terima/daftar"]
    dashboard = html.page(client.get(f"{world.base()}/dasbor"))
    assert f"{world.base()}/serah-terima" in html.attrs(dashboard, "//nav[@class='subnav']//a/@href")


@pytest.mark.parametrize("username", ["opd_a", "dp3a_b", "province", "admin", "reviewer", "verifier"])
def test_nobody_but_the_dp3a_of_the_kab_kota_gets_it(make_client, world, auth, db, filled, username):
    client = make_client()
    auth.login(client, username)
    for path in ("/serah-terima", "/serah-terima/paket.zip"):
        response = client.get(world.base() + path)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert b"visum" not in response.content and not response.content.startswith(b"PK")
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "handoff.download")).first() is None


def test_signed_out_is_sent_to_log_in(client, world, filled):
    response = client.get(f"{world.base()}/serah-terima/paket.zip", follow_redirects=False)
    assert response.status_code in (302, 303) and "/masuk" in response.headers["location"]


def test_the_command_writes_the_same_layout_without_sensitive_files_unless_asked(
        client, world, auth, filled, migrated, settings, monkeypatch, tmp_path):
    auth.login(client, "dp3a_a")
    served = zipfile.ZipFile(io.BytesIO(_download(client, world).content))
    monkeypatch.setenv("KLA_DATABASE_URL", migrated)
    monkeypatch.setenv("KLA_DATA_DIR", str(settings.data_dir))
    out = tmp_path / "paket.zip"
    result = CliRunner().invoke(cli, ["export", "handoff", "62.71", "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "2 sensitive files left out" in result.output
    plain = zipfile.ZipFile(out)
    assert not any(n.startswith(SENSITIVE_FOLDER) for n in plain.namelist())
    assert [n for n in plain.namelist() if n != README_NAME] == \
        [n for n in served.namelist() if n != README_NAME and not n.startswith(SENSITIVE_FOLDER)]
    rows = _rows(plain.read(WORKBOOK.format(year=world.year)), QUESTION_SHEET)
    reuse = next(r for r in rows if r[1] == filled["reuse"])
    assert "1 berkas sensitif tidak disertakan" in reuse[10]

    full = tmp_path / "lengkap.zip"
    result = CliRunner().invoke(cli, ["export", "handoff", "62.71", "--year", str(world.year), "--out", str(full),
                                      "--with-sensitive", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "2 sensitive files included" in result.output
    with_sensitive = zipfile.ZipFile(full)
    assert [n for n in with_sensitive.namelist() if n != README_NAME] == \
        [n for n in served.namelist() if n != README_NAME]
    for name in with_sensitive.namelist():
        if not name.endswith("/") and name != README_NAME and not name.endswith(".xlsx"):
            assert with_sensitive.read(name) == served.read(name)


def test_the_command_names_an_unknown_kab_kota_or_year(world, migrated, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("KLA_DATABASE_URL", migrated)
    monkeypatch.setenv("KLA_DATA_DIR", str(settings.data_dir))
    missing = CliRunner().invoke(cli, ["export", "handoff", "99.99", "--out", str(tmp_path / "x.zip")])
    assert missing.exit_code == 2 and "99.99 tidak ditemukan" in missing.output
    no_year = CliRunner().invoke(cli, ["export", "handoff", "62.71", "--year", "2031", "--out",
                                       str(tmp_path / "x.zip"), "--lang", "en"])
    assert no_year.exit_code == 2 and "has no assessment for 2031" in no_year.output
    assert not list(tmp_path.iterdir())
    helped = CliRunner().invoke(cli, ["export", "handoff", "--help", "--lang", "en"])
    assert "--with-sensitive" in helped.output


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_workbook(client, world, auth, filled, tmp_path):
    auth.login(client, "dp3a_a")
    archive = zipfile.ZipFile(io.BytesIO(_download(client, world).content))
    source = tmp_path / "serah.xlsx"
    source.write_bytes(archive.read(WORKBOOK.format(year=world.year)))
    profile = tmp_path / "profile"
    result = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                             "--convert-to", "csv", "--outdir", str(tmp_path), str(source)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (tmp_path / "serah.csv").read_text(encoding="utf-8", errors="replace")
    assert filled["option_label"] in text and "Tidak berlaku" in text
