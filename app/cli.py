"""The `kla` command line: check a catalogue, score an answers file, run the app."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
import yaml

from app.loopback import is_loopback
from indicators import DEFAULT_CATALOGUE, Catalogue, CatalogueError, load_catalogue
from scoring import Scorer, Verdict, category_for, format_points, readiness
from scoring.answer_input import parse_answers
from scoring.answers import ReviewStatus, to_decimal

TEXT = {
    "id": {
        "catalogue": "Katalog",
        "part": "Bagian",
        "name": "Nama",
        "indicators": "Indikator",
        "questions": "Pertanyaan",
        "max": "Nilai maks",
        "summary": "Jumlah: {parts} bagian, {indicators} indikator bernilai, {questions} pertanyaan, nilai maksimum {max}.",
        "faults": "{n} kesalahan ditemukan di {source}:",
        "score": "Nilai",
        "verified": "Terverifikasi",
        "total": "Total",
        "category": "Kategori",
        "next": "Untuk mencapai {category}: +{points} poin dari {n} pertanyaan berikut",
        "unreachable": "Semua pertanyaan yang terbuka pun belum cukup untuk mencapai {category} (kurang {points} poin).",
        "top": "Sudah di kategori tertinggi.",
        "at_risk": "Poin berisiko (dijawab tetapi belum disetujui): {points} dari {n} pertanyaan",
        "answer_problems": "{n} jawaban tidak dapat dinilai:",
        "bad_answers_file": "Berkas jawaban tidak dapat dibaca: {problem}",
        "answers_shape": "Berkas jawaban harus berisi pasangan kode pertanyaan: jawaban.",
        "now": "sekarang",
        "gain": "tambahan",
    },
    "en": {
        "catalogue": "Catalogue",
        "part": "Part",
        "name": "Name",
        "indicators": "Indicators",
        "questions": "Questions",
        "max": "Max points",
        "summary": "Total: {parts} parts, {indicators} scored indicators, {questions} questions, maximum {max}.",
        "faults": "{n} fault(s) found in {source}:",
        "score": "Score",
        "verified": "Verified",
        "total": "Total",
        "category": "Category",
        "next": "To reach {category}: +{points} points from these {n} questions",
        "unreachable": "Even every open question is not enough to reach {category} ({points} points short).",
        "top": "Already in the highest category.",
        "at_risk": "Points at risk (answered, not yet approved): {points} in {n} questions",
        "answer_problems": "{n} answer(s) cannot be scored:",
        "bad_answers_file": "The answers file cannot be read: {problem}",
        "answers_shape": "The answers file must map question codes to answers.",
        "now": "now",
        "gain": "gain",
    },
}

lang_option = click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    default=lambda: os.environ.get("KLA_LANG", "id"),
    show_default="id, or $KLA_LANG",
    help="Language of the messages: id (Bahasa Indonesia) or en.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """KLA self-assessment tool: the instrument, scoring and the web app."""


@main.group()
def catalogue() -> None:
    """Work with the instrument file (data/kla_clusters.yaml)."""


@catalogue.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@lang_option
def catalogue_check(file: Path, lang: str) -> None:
    """Validate FILE and print its parts, indicators, questions and points, or every fault."""
    cat = _load_or_exit(file, lang)
    click.echo(catalogue_summary(cat, lang))


def catalogue_summary(cat: Catalogue, lang: str) -> str:
    t = TEXT[lang]
    info = cat.data.instrument
    lines = [f"{t['catalogue']}: {info.title if lang == 'id' else info.title_en} ({info.version})", ""]
    header = f"{t['part']:<6} {t['name']:<44} {t['indicators']:>10} {t['questions']:>10} {t['max']:>10}"
    lines += [header, "-" * len(header)]
    n_indicators = n_questions = 0
    for part in cat.data.parts:
        q = sum(len(i.questions) for i in part.indicators)
        n_indicators += len(part.indicators)
        n_questions += q
        name = part.name if lang == "id" else part.name_en
        lines.append(
            f"{part.code:<6} {_clip(name, 44):<44} {len(part.indicators):>10} {q:>10} {_pts(part.max):>10}"
        )
    lines.append("-" * len(header))
    lines.append(
        t["summary"].format(
            parts=len(cat.data.parts),
            indicators=n_indicators,
            questions=n_questions,
            max=_pts(cat.max_total),
        )
    )
    return "\n".join(lines)


@main.command("score")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--catalogue",
    "catalogue_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CATALOGUE,
    show_default="data/kla_clusters.yaml",
    help="The instrument to score against.",
)
@lang_option
def score(file: Path, catalogue_file: Path, lang: str) -> None:
    """Score an answers file (YAML or JSON) and print parts, total, category and the gap plan.

    FILE maps question codes to answers: an option code ("ya"), a number or
    percentage (87.5), or {score: 10.5} for points given directly. It may
    instead hold `answers:` plus `reviews:` (code: approved | returned |
    waiting, or {status: approved, score: 4}) to show the verified score too.
    """
    t = TEXT[lang]
    cat = _load_or_exit(catalogue_file, lang)
    raw = _read_answers_file(file, lang)
    raw_answers, raw_reviews = (raw.get("answers") or {}, raw.get("reviews")) if "answers" in raw else (raw, None)
    if not isinstance(raw_answers, dict) or (raw_reviews is not None and not isinstance(raw_reviews, dict)):
        _fail(t["answers_shape"])
    scorer = Scorer(cat)
    answers, problems = parse_answers(scorer, raw_answers)
    verdicts = _parse_verdicts(raw_reviews) if raw_reviews is not None else None
    if problems:
        click.echo(t["answer_problems"].format(n=len(problems)), err=True)
        for problem in problems:
            click.echo(f"  - {problem.message(lang)}", err=True)
    click.echo(score_report(scorer, answers, verdicts, lang))
    if problems:
        sys.exit(1)


def score_report(scorer: Scorer, answers, verdicts, lang: str) -> str:
    t = TEXT[lang]
    cat = scorer.catalogue
    sheet = scorer.score(answers)
    checked = scorer.verified(answers, verdicts) if verdicts is not None else None
    header = f"{t['part']:<6} {t['name']:<44} {t['score']:>9} {t['max']:>10}"
    if checked:
        header += f" {t['verified']:>13}"
    lines = [header, "-" * len(header)]
    for part in cat.data.parts:
        name = part.name if lang == "id" else part.name_en
        row = f"{part.code:<6} {_clip(name, 44):<44} {format_points(sheet.parts[part.code]):>9} {_pts(part.max):>10}"
        if checked:
            row += f" {format_points(checked.parts[part.code]):>13}"
        lines.append(row)
    lines.append("-" * len(header))
    total = f"{t['total']:<51} {format_points(sheet.total):>9} {_pts(cat.max_total):>10}"
    if checked:
        total += f" {format_points(checked.total):>13}"
    lines.append(total)
    band = category_for(scorer, sheet)
    category = f"{t['category']}: {_band_name(band, lang)}"
    if checked:
        category += f"   ({t['verified']}: {_band_name(category_for(scorer, checked), lang)})"
    lines += [category, ""]
    ready = readiness(scorer, answers, verdicts)
    if ready.next_category is None:
        lines.append(t["top"])
    else:
        target = _band_name(ready.next_category, lang)
        if ready.reachable:
            lines.append(
                t["next"].format(category=target, points=format_points(ready.points_missing), n=len(ready.plan))
            )
        else:
            short = ready.points_missing - ready.plan_gain
            lines.append(t["unreachable"].format(category=target, points=format_points(short)))
        for step in ready.plan:
            question = cat.questions[step.question].question
            lines.append(
                f"  {step.question:<8} +{format_points(step.gain):>6}  "
                f"({t['now']} {format_points(step.scored)}/{_pts(question.max)})  {_clip(question.text, 70)}"
            )
    if ready.at_risk:
        lines += ["", t["at_risk"].format(points=format_points(ready.at_risk_total), n=len(ready.at_risk))]
    return "\n".join(lines)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="uvicorn's access log; with KLA_LOG_LEVEL=INFO the app writes JSON request lines itself.")
@click.option("--keep-alive", default=75, show_default=True, type=int,
              help="Seconds an idle connection stays open (a slow network pays for every new one).")
def serve(host: str, port: int, workers: int, reload: bool, access_log: bool, keep_alive: int) -> None:
    """Run the web app with uvicorn (settings from KLA_* environment variables).

    Refuses to start (exit 2, a message, no traceback) on settings the app would refuse, and with
    the public development secret on any address but loopback: only this command knows the address.
    """
    import uvicorn

    refusal = serve_refusal(host)
    if refusal:
        _fail(refusal)
    click.echo(f"KLA: http://{host}:{port}/")
    uvicorn.run("app.main:app", host=host, port=port, workers=workers, reload=reload, proxy_headers=True,
                access_log=access_log, timeout_keep_alive=keep_alive)


SERVE_TEXT = {  # the operator's language, like the database messages
    "settings": "Pengaturan tidak sah, aplikasi tidak dijalankan:",
    "environment": "KLA_ENVIRONMENT={value!r} tidak dikenal: pilih development, test, staging atau production.",
    "secret": "KLA_SECRET_KEY harus diisi nilai acak yang panjang (minimal {n} karakter) bila "
              "KLA_ENVIRONMENT={environment}: kunci pengembangan bersifat publik. Buat satu dengan "
              "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'.",
    "public_host": "Dengan kunci pengembangan (KLA_SECRET_KEY belum diisi) aplikasi hanya boleh melayani alamat "
                   "loopback (127.0.0.1, ::1, localhost), bukan {host}: siapa pun dapat memalsukan sesi dengan "
                   "kunci itu. Isi KLA_SECRET_KEY dan KLA_ENVIRONMENT=production untuk melayani jaringan.",
}


def settings_problem() -> tuple[object | None, str | None]:
    """The KLA_* settings of the environment, or None and why they are refused (in the operator's
    language): every command that reads them says this instead of printing pydantic's traceback."""
    from pydantic import ValidationError

    from app.config import MIN_SECRET_LENGTH, Settings

    t = SERVE_TEXT
    try:
        return Settings(), None
    except ValidationError as exc:
        lines = [t["settings"]]
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            if field == "environment":
                lines.append("  " + t["environment"].format(value=error.get("input")))
            elif "KLA_SECRET_KEY" in error["msg"]:
                given = error.get("input")
                environment = given.get("environment", "") if isinstance(given, dict) else ""
                lines.append("  " + t["secret"].format(n=MIN_SECRET_LENGTH, environment=environment))
            else:
                lines.append(f"  KLA_{field.upper()}: {error['msg']}")
        return None, "\n".join(lines)


def _settings():
    """The settings, or exit 2 with the reason they are refused."""
    settings, problem = settings_problem()
    if problem:
        _fail(problem)
    return settings


def serve_refusal(host: str) -> str | None:
    """Why `kla serve` must not start with the KLA_* settings of the environment on `host`, or None."""
    settings, problem = settings_problem()
    if problem:
        return problem
    if settings.uses_development_secret and not is_loopback(host):
        return SERVE_TEXT["public_host"].format(host=host)
    return None


@main.group()
def db() -> None:
    """The database (KLA_DATABASE_URL, or SQLite in KLA_DATA_DIR)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending schema migration (Alembic)."""

    settings = _settings()
    _upgrade_or_exit(settings.resolved_database_url)
    click.echo(f"OK: {_redacted(settings.resolved_database_url)}")


@main.group()
def regions() -> None:
    """Provinces and kabupaten/kota (Kemendagri codes, data/regions/)."""


@regions.command("load")
def regions_load() -> None:
    """Load all 38 provinces and 514 kabupaten/kota (missing ones only)."""
    from sqlmodel import Session

    from app.db import make_engine
    from app.services.regions import load_regions

    settings = _settings()
    _upgrade_or_exit(settings.resolved_database_url)
    with Session(make_engine(settings.resolved_database_url)) as session:
        provinces, regencies = load_regions(session)
    click.echo(f"{provinces} provinsi, {regencies} kabupaten/kota")


@main.command("demo")
def demo() -> None:
    """Create the demo world (all regions; Kalimantan Tengah mid-cycle) and print the accounts.

    Safe to run again: what exists is kept.
    """
    from sqlmodel import Session

    from app.db import make_engine
    from app.evidence import EvidenceStore
    from app.services.demo import DEMO_PASSWORD, build_demo

    settings = _settings()
    _upgrade_or_exit(settings.resolved_database_url)
    catalogue = load_catalogue(settings.catalogue_file)
    store = EvidenceStore(settings.evidence_dir, settings.max_upload_bytes)
    with Session(make_engine(settings.resolved_database_url), expire_on_commit=False) as session:
        report = build_demo(session, catalogue, store)
    click.echo(f"Wilayah: {report.provinces} provinsi, {report.regencies} kabupaten/kota")
    click.echo("")
    click.echo(f"Akun demo (kata sandi semua akun: {DEMO_PASSWORD})")
    for username, role, where in report.accounts:
        click.echo(f"  {username:<28} {role:<9} {where}")
    click.echo("")
    click.echo("Nilai evaluasi mandiri Kalimantan Tengah:")
    for region, total, category in report.scores:
        click.echo(f"  {region:<40} {total:>8}  {category}")


@main.group()
def cycle() -> None:
    """Evaluation cycles (one per year)."""


@cycle.command("open")
@click.argument("year", type=int)
@click.option("--from", "from_year", type=int, help="Propose the answers of this earlier cycle for confirmation.")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML of old question code: new code (null: dropped), when the instrument changed.")
@click.option("--province", "province_code", help="Only the kab/kota of this province (code, e.g. 62).")
def cycle_open(year: int, from_year: int | None, mapping: Path | None, province_code: str | None) -> None:
    """Open the cycle YEAR for the kab/kota of the previous one (or of a province)."""
    from sqlmodel import Session

    from app.db import make_engine
    from app.services.cycles import MappingError, load_mapping, open_cycle

    settings = _settings()
    _upgrade_or_exit(settings.resolved_database_url)
    catalogue = load_catalogue(settings.catalogue_file)
    try:
        codes = load_mapping(mapping, catalogue) if mapping else None
    except MappingError as exc:
        _fail(str(exc))
    with Session(make_engine(settings.resolved_database_url), expire_on_commit=False) as session:
        opened = open_cycle(session, catalogue, year, from_year=from_year, mapping=codes, province_code=province_code)
    click.echo(f"Siklus {year}: {opened.assessments} kab/kota dibuka, {opened.proposed} jawaban diusulkan untuk dibawa.")


@main.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(out: Path) -> None:
    """Write OUT (.tar.gz): a consistent snapshot of the database and the evidence files.

    Safe while the app runs.
    """
    from app.backup import BackupError, backup

    settings = _settings()
    # not an empty copy of a missing database; any schema, so one can back up before `kla db upgrade`
    _open_database(settings.resolved_database_url, require_head=False).dispose()
    try:
        manifest = backup(settings.resolved_database_url, settings.evidence_dir, out)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"Cadangan {out}: basis data {manifest['database']}, {manifest['evidence_files']} berkas bukti.")


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(archive: Path, yes: bool) -> None:
    """Replace the database with the backup ARCHIVE and add its evidence files. Stop the app first."""
    from app.backup import BackupError, restore

    settings = _settings()
    if not yes:
        click.confirm(f"Ganti basis data {_redacted(settings.resolved_database_url)} dengan isi cadangan?", abort=True)
    try:
        result = restore(archive, settings.resolved_database_url, settings.evidence_dir)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"Dipulihkan dari cadangan {result['created_at']}: {result['restored_files']} berkas bukti ditambahkan.")


@main.group()
def evidence() -> None:
    """The evidence store (KLA_DATA_DIR/evidence)."""


@evidence.command("verify")
def evidence_verify() -> None:
    """Re-hash every stored file; list those missing or altered (exit 1 if any)."""
    from sqlmodel import Session, select

    from app.evidence import EvidenceStore
    from app.models import StoredFile

    settings = _settings()
    store = EvidenceStore(settings.evidence_dir, settings.max_upload_bytes)
    missing, altered, checked = [], [], 0
    with Session(_open_database(settings.resolved_database_url)) as session:
        for sha256 in session.exec(select(StoredFile.sha256).order_by(StoredFile.sha256)):
            checked += 1
            if not store.exists(sha256):
                missing.append(sha256)
            elif not store.verify(sha256):
                altered.append(sha256)
    click.echo(f"{checked} berkas diperiksa: {len(missing)} hilang, {len(altered)} berubah.")
    for sha256 in missing:
        click.echo(f"  HILANG  {sha256}", err=True)
    for sha256 in altered:
        click.echo(f"  BERUBAH {sha256}", err=True)
    if missing or altered:
        sys.exit(1)


@main.group()
def audit() -> None:
    """The append-only audit log."""


@audit.command("verify")
@lang_option
def audit_verify(lang: str) -> None:
    """Check the hash chains of the audit log (one per kab/kota); name the first broken entry (exit 1)."""
    from sqlmodel import Session

    from app.services.audit import verify_chain

    settings = _settings()
    with Session(_open_database(settings.resolved_database_url, lang)) as session:
        report = verify_chain(session)
    if report.broken_id is None:
        click.echo(("Rantai audit utuh: {n} entri diperiksa." if lang == "id" else
                    "Audit chain intact: {n} entries checked.").format(n=report.checked))
        return
    what = {
        "id": {"hash": "isinya diubah setelah dicatat", "link": "entri sebelumnya hilang atau diubah"},
        "en": {"hash": "its content was changed after it was written", "link": "the entry before it is missing or changed"},
    }[lang][report.problem]
    click.echo(("Rantai audit RUSAK pada entri #{id}: {what} ({n} entri sebelumnya utuh)." if lang == "id" else
                "Audit chain BROKEN at entry #{id}: {what} ({n} earlier entries intact).").format(
        id=report.broken_id, what=what, n=report.checked), err=True)
    sys.exit(1)


EXPORT_TEXT = {
    "id": {
        "no_regency": "Kabupaten/kota {code} tidak ditemukan.",
        "no_province": "Provinsi {code} tidak ditemukan.",
        "no_assessment": "{name} tidak mempunyai penilaian untuk tahun {year}.",
        "written": "Ditulis: {path}",
        "regions": "Kab/kota",
        "national": "{regions} kab/kota, {rows} baris; {skipped} kab/kota tanpa penilaian tahun ini tidak ditulis.",
        "unsubmitted": "{n} kab/kota yang belum mengirim penilaiannya tidak ditulis.",
    },
    "en": {
        "no_regency": "Kab/kota {code} not found.",
        "no_province": "Province {code} not found.",
        "no_assessment": "{name} has no assessment for {year}.",
        "written": "Written: {path}",
        "regions": "Kab/kota",
        "national": "{regions} kab/kota, {rows} rows; {skipped} kab/kota without an assessment this year left out.",
        "unsubmitted": "{n} kab/kota that have not submitted their assessment left out.",
    },
}

_year_option = click.option("--year", type=int, default=None, help="Evaluation year (default: the instrument's).")
_out_option = click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                           help="File to write (default: rekap-<code>-<year>.xlsx).")


@main.group("export")
def export_group() -> None:
    """Excel workbooks: a kab/kota rekap, a province comparison, the national table."""


def _export_context(lang: str):
    from sqlmodel import Session


    settings = _settings()
    catalogue_ = load_catalogue(settings.catalogue_file)
    session = Session(_open_database(settings.resolved_database_url, lang), expire_on_commit=False)
    return session, catalogue_, Scorer(catalogue_)


@export_group.command("regency")
@click.argument("regency_code")
@_year_option
@_out_option
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True,
              help="Address of the app, for the links to the evidence files.")
@lang_option
def export_regency(regency_code: str, year: int | None, out: Path | None, base_url: str, lang: str) -> None:
    """The rekap of one kab/kota, such as 62.71: one sheet per part, a summary with formulas."""
    from sqlmodel import select

    from app.exports.rekap import regency_workbook_bytes
    from app.models import Assessment, Cycle, Regency

    t = EXPORT_TEXT[lang]
    session, cat, scorer = _export_context(lang)
    with session:
        year = year or cat.year
        regency = session.get(Regency, regency_code)
        if regency is None:
            _fail(t["no_regency"].format(code=regency_code))
        assessment = session.exec(
            select(Assessment).join(Cycle, Cycle.id == Assessment.cycle_id)
            .where(Cycle.year == year, Assessment.regency_code == regency_code)
        ).first()
        if assessment is None:
            _fail(t["no_assessment"].format(name=regency.name, year=year))
        out = out or Path(f"rekap-{regency_code}-{year}.xlsx")
        out.write_bytes(regency_workbook_bytes(session, cat, scorer, assessment, base_url))
    click.echo(t["written"].format(path=out))


@export_group.command("province")
@click.argument("province_code")
@_year_option
@_out_option
@lang_option
def export_province(province_code: str, year: int | None, out: Path | None, lang: str) -> None:
    """The kab/kota of one province, such as 62, side by side, with the Provila status."""
    from app.exports.province import province_workbook_bytes
    from app.models import Province

    t = EXPORT_TEXT[lang]
    session, cat, scorer = _export_context(lang)
    with session:
        year = year or cat.year
        if session.get(Province, province_code) is None:
            _fail(t["no_province"].format(code=province_code))
        out = out or Path(f"rekap-{province_code}-{year}.xlsx")
        out.write_bytes(province_workbook_bytes(session, cat, scorer, province_code, year))
    click.echo(t["written"].format(path=out))


@export_group.command("national")
@_year_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: rekap-nasional-<year>.xlsx).")
@click.option("--submitted-only", is_flag=True,
              help="Leave out kab/kota that have not submitted their assessment to the province.")
@lang_option
def export_national(year: int | None, out: Path | None, submitted_only: bool, lang: str) -> None:
    """One row per kab/kota x question for the whole nation, written in streaming mode."""
    from app.exports.national import count_assessments, write_national_workbook

    t = EXPORT_TEXT[lang]
    session, cat, scorer = _export_context(lang)
    with session:
        year = year or cat.year
        out = out or Path(f"rekap-nasional-{year}.xlsx")
        total = count_assessments(session, year)
        with click.progressbar(length=total, label=t["regions"], file=sys.stderr) as bar:
            report = write_national_workbook(session, cat, scorer, year, out, submitted_only=submitted_only,
                                             progress=bar.update)
    click.echo(t["national"].format(regions=report.regions, rows=report.rows, skipped=report.skipped))
    if submitted_only:
        click.echo(t["unsubmitted"].format(n=report.skipped_unsubmitted))
    click.echo(t["written"].format(path=out))


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


DATABASE_TEXT = {
    "id": {
        "missing": "Basis data {url} belum ada: jalankan `kla db upgrade` (atau `kla demo` untuk data contoh).",
        "unreachable": "Basis data {url} tidak dapat dihubungi: {problem}",
        "outdated": "Skema basis data {url} belum mutakhir ({current}, seharusnya {head}): jalankan `kla db upgrade`.",
        "newer": "Skema basis data {url} ({current}) lebih baru daripada versi aplikasi ini (terbaru {head}): "
                 "pasang versi aplikasi yang memperbaruinya; `kla db upgrade` tidak menurunkan skema.",
        "migration_failed": "Migrasi skema basis data {url} gagal ({current} → {head}): {problem}",
        "broken_references": "Skema basis data {url} sudah diperbarui ke {head}, tetapi pemeriksaan sesudahnya "
                             "menemukan baris yang menunjuk ke baris yang tidak ada: {problem}. Pulihkan cadangan "
                             "yang diambil sebelum pembaruan, atau perbaiki baris itu.",
        "unreadable_revision": "Versi skema basis data {url} tidak dapat dibaca: {problem}",
        "empty": "kosong",
    },
    "en": {
        "missing": "The database {url} does not exist yet: run `kla db upgrade` (or `kla demo` for sample data).",
        "unreachable": "The database {url} cannot be reached: {problem}",
        "outdated": "The database {url} is not at the newest schema ({current}, expected {head}): run `kla db upgrade`.",
        "newer": "The database {url} has a newer schema ({current}) than this version of the app knows (newest "
                 "{head}): install the version that upgraded it; `kla db upgrade` does not downgrade.",
        "migration_failed": "Migrating the database {url} failed ({current} → {head}): {problem}",
        "broken_references": "The database {url} was upgraded to {head}, but the check afterwards found rows "
                             "pointing at rows that do not exist: {problem}. Restore the backup taken before the "
                             "upgrade, or repair those rows.",
        "unreadable_revision": "The schema version of the database {url} cannot be read: {problem}",
        "empty": "none",
    },
}


def _open_database(url: str, lang: str = "id", require_head: bool = True):
    """An engine on a database that answers at the newest schema; otherwise a message and exit 2.
    Commands that only read or copy must not create an empty SQLite file or crash on a missing table.
    `require_head=False` (backup) accepts any schema: backing up before an upgrade is the point."""
    from sqlalchemy.engine import make_url

    from app.db import make_engine

    t = DATABASE_TEXT[lang]
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(parsed.database).exists():
        _fail(t["missing"].format(url=_redacted(url)))
    engine = make_engine(url)
    current, head = _schema_revisions(engine, url, t)
    if current is None:  # an empty file or server database: nothing to read, nothing worth a backup
        engine.dispose()
        _fail(t["missing"].format(url=_redacted(url)))
    if require_head and current != head:
        engine.dispose()
        _refuse_revision(url, current, head, t)
    return engine


def _upgrade_or_exit(url: str) -> None:
    """`kla db upgrade` and the commands that run it first: an unreachable server, a schema newer than
    this code and a failing migration are each a message of their own, not a traceback."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from app.db import make_engine
    from app.migrate import BrokenReferences, schema_state, upgrade

    t = DATABASE_TEXT["id"]  # these commands have no --lang: the operator's language
    engine = make_engine(url)
    current, head = _schema_revisions(engine, url, t)
    engine.dispose()
    if schema_state(url, current, head) == "newer":
        _refuse_revision(url, current, head, t)
    try:
        upgrade(url)
    except BrokenReferences as exc:
        _fail(t["broken_references"].format(url=_redacted(url), head=head, problem=exc))
    except (SQLAlchemyError, CommandError) as exc:
        _fail(t["migration_failed"].format(url=_redacted(url), current=current or t["empty"], head=head,
                                           problem=_first_line(exc)))


def _schema_revisions(engine, url: str, t: dict) -> tuple[str | None, str]:
    """(the database's revision, this code's head); a database that cannot be reached is a message."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from app.migrate import revisions

    try:
        with engine.connect() as connection:
            return revisions(connection, url)
    except SQLAlchemyError as exc:
        engine.dispose()
        _fail(t["unreachable"].format(url=_redacted(url), problem=_first_line(exc)))
    except CommandError as exc:  # e.g. two rows in alembic_version
        engine.dispose()
        _fail(t["unreadable_revision"].format(url=_redacted(url), problem=_first_line(exc)))


def _refuse_revision(url: str, current: str | None, head: str, t: dict) -> None:
    from app.migrate import schema_state

    _fail(t[schema_state(url, current, head)].format(url=_redacted(url), current=current or t["empty"], head=head))


def _first_line(exc: Exception) -> str:
    """The driver's own message (\"connection refused\", \"password authentication failed\"), without
    SQLAlchemy's statement dump and link."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def _parse_verdicts(raw: dict) -> dict[str, Verdict]:
    verdicts = {}
    for code, value in raw.items():
        if isinstance(value, dict):
            status, points = value.get("status", "waiting"), to_decimal(value.get("score"))
        else:
            status, points = value, None
        try:
            verdicts[str(code)] = Verdict(ReviewStatus(str(status)), points)
        except ValueError:
            _fail(f"reviews.{code}: '{status}' ∉ approved | returned | waiting")
    return verdicts


def _read_answers_file(file: Path, lang: str) -> dict:
    t = TEXT[lang]
    try:
        text = file.read_text(encoding="utf-8")
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        _fail(t["bad_answers_file"].format(problem=str(exc).splitlines()[0] if str(exc) else exc))
    if not isinstance(data, dict):
        _fail(t["answers_shape"])
    return data


def _load_or_exit(file: Path, lang: str) -> Catalogue:
    try:
        return load_catalogue(file)
    except CatalogueError as exc:
        click.echo(TEXT[lang]["faults"].format(n=len(exc.faults), source=file), err=True)
        for fault in exc.faults:
            click.echo(f"  {fault.render(lang)}", err=True)
        sys.exit(1)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


def _band_name(band, lang: str) -> str:
    return band.name if lang == "id" else band.name_en


def _pts(value) -> str:
    return f"{value:.2f}"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


if __name__ == "__main__":  # pragma: no cover
    main()
