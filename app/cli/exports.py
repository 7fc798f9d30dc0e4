"""`kla export`: the Excel workbooks of a kab/kota, a province and the nation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from app.cli.common import fail, lang_option, main
from app.cli.database import open_database, settings
from app.i18n import _
from indicators import Catalogue, load_catalogue
from scoring import Scorer

if TYPE_CHECKING:
    from sqlmodel import Session

    from app.models import Assessment, Regency

_year_option = click.option("--year", type=int, default=None, help="Evaluation year (default: the instrument's).")
_out_option = click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                           help="File to write (default: rekap-<code>-<year>.xlsx).")


@main.group("export")
def export_group() -> None:
    """Excel workbooks: a kab/kota rekap, a province comparison, the national table."""


def _export_context() -> tuple[Session, Catalogue, Scorer]:
    from sqlmodel import Session

    found = settings()
    catalogue = load_catalogue(found.catalogue_file)
    session = Session(open_database(found.resolved_database_url), expire_on_commit=False)
    return session, catalogue, Scorer(catalogue)


def _written(out: Path) -> str:
    return _("Written: %(path)s") % {"path": out}


def _assessment_or_fail(session: Session, regency_code: str, year: int) -> tuple[Regency, Assessment]:
    """The kab/kota and its assessment of `year`, or a clear message and exit code 2."""
    from sqlmodel import select

    from app.models import Assessment, Cycle, Regency

    regency = session.get(Regency, regency_code)
    if regency is None:
        fail(_("Kab/kota %(code)s not found.") % {"code": regency_code})
    assessment = session.exec(
        select(Assessment).join(Cycle, Cycle.id == Assessment.cycle_id)  # type: ignore[arg-type]
        .where(Cycle.year == year, Assessment.regency_code == regency_code)
    ).first()
    if assessment is None:
        fail(_("%(name)s has no assessment for %(year)s.") % {"name": regency.name, "year": year})
    return regency, assessment


@export_group.command("regency")
@click.argument("regency_code")
@_year_option
@_out_option
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True,
              help="Address of the app, for the links to the evidence files.")
@lang_option()
def export_regency(regency_code: str, year: int | None, out: Path | None, base_url: str) -> None:
    """The rekap of one kab/kota, such as 62.71: one sheet per part, a summary with formulas."""
    from app.exports.rekap import regency_workbook_bytes

    session, cat, scorer = _export_context()
    with session:
        year = year or cat.year
        _regency, assessment = _assessment_or_fail(session, regency_code, year)
        out = out or Path(f"rekap-{regency_code}-{year}.xlsx")
        out.write_bytes(regency_workbook_bytes(session, cat, scorer, assessment, base_url))
    click.echo(_written(out))


@export_group.command("province")
@click.argument("province_code")
@_year_option
@_out_option
@lang_option()
def export_province(province_code: str, year: int | None, out: Path | None) -> None:
    """The kab/kota of one province, such as 62, side by side, with the Provila status."""
    from app.exports.province import province_workbook_bytes
    from app.models import Province

    session, cat, scorer = _export_context()
    with session:
        year = year or cat.year
        if session.get(Province, province_code) is None:
            fail(_("Province %(code)s not found.") % {"code": province_code})
        out = out or Path(f"rekap-{province_code}-{year}.xlsx")
        out.write_bytes(province_workbook_bytes(session, cat, scorer, province_code, year))
    click.echo(_written(out))


@export_group.command("national")
@_year_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: rekap-nasional-<year>.xlsx).")
@click.option("--submitted-only", is_flag=True,
              help="Leave out kab/kota that have not submitted their assessment to the province.")
@lang_option()
def export_national(year: int | None, out: Path | None, submitted_only: bool) -> None:
    """One row per kab/kota x question for the whole nation, written in streaming mode."""
    from app.exports.national import count_assessments, write_national_workbook

    session, cat, scorer = _export_context()
    with session:
        year = year or cat.year
        out = out or Path(f"rekap-nasional-{year}.xlsx")
        total = count_assessments(session, year)
        with click.progressbar(length=total, label=_("Kab/kota"), file=sys.stderr) as bar:
            report = write_national_workbook(session, cat, scorer, year, out, submitted_only=submitted_only,
                                             progress=bar.update)
    click.echo(_("%(regions)s kab/kota, %(rows)s rows; %(skipped)s kab/kota without an assessment this year "
                 "left out.") % {"regions": report.regions, "rows": report.rows, "skipped": report.skipped})
    if submitted_only:
        click.echo(_("%(n)s kab/kota that have not submitted their assessment left out.")
                   % {"n": report.skipped_unsubmitted})
    click.echo(_written(out))


@export_group.command("handoff")
@click.argument("regency_code")
@_year_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: <kab/kota>_<year>_serah_terima.zip).")
@click.option("--with-sensitive", is_flag=True,
              help="Include the sensitive files (they can name child victims) in their separate folder "
                   "RAHASIA_data_anak/, as in the DP3A's download. Default: left out, counted in the workbook.")
@lang_option()
def export_handoff(regency_code: str, year: int | None, out: Path | None, with_sensitive: bool) -> None:
    """The hand-off package of one kab/kota, such as 62.71: a ZIP in the instrument's order with a
    folder per question and its files, a workbook of the answers as they are to be entered in the
    ministry's application, and a README. Written as a stream; sensitive files only with --with-sensitive."""
    import os
    import tempfile

    from app.evidence import EvidenceStore
    from app.services.handoff import build_package, operator_access, plan_handoff

    found = settings()
    session, cat, _scorer = _export_context()
    store = EvidenceStore(found.evidence_dir, found.max_upload_bytes)
    with session:
        year = year or cat.year
        regency, assessment = _assessment_or_fail(session, regency_code, year)
        access = operator_access(session, cat, assessment, regency)
        plan = plan_handoff(session, cat, store, assessment, access, with_sensitive=with_sensitive)
        package = build_package(plan, store)
    out = out or Path(plan.zip_name)
    handle, name = tempfile.mkstemp(prefix=".handoff-", suffix=".part", dir=out.resolve().parent)
    try:
        with os.fdopen(handle, "wb") as target:
            for chunk in package.chunks():
                target.write(chunk)
        os.replace(name, out)
    finally:
        package.close()
        if os.path.exists(name):
            os.unlink(name)
    click.echo(_("%(questions)s questions answered, %(files)s files.")
               % {"questions": len(plan.answered), "files": len(plan.files)})
    if with_sensitive:
        click.echo(_("Warning: %(n)s sensitive files included in the folder %(folder)s: they can name child "
                     "victims. Keep the file safe.") % {"n": plan.sensitive_included, "folder": "RAHASIA_data_anak"},
                   err=True)
    elif plan.sensitive_withheld:
        click.echo(_("%(n)s sensitive files left out (--with-sensitive includes them).")
                   % {"n": plan.sensitive_withheld})
    if plan.missing:
        click.echo(_("%(n)s files missing from the evidence store (run kla evidence verify).") % {"n": plan.missing},
                   err=True)
    click.echo(_written(out))
