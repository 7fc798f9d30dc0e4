"""Running the app's data: regions, the demo world, cycles, backups, evidence and audit checks."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli.common import fail, lang_option, main, redacted
from app.cli.database import open_database, settings, upgrade_or_exit
from app.i18n import _
from indicators import load_catalogue


@main.group()
def regions() -> None:
    """Provinces and kabupaten/kota (Kemendagri codes, data/regions/)."""


@regions.command("load")
@lang_option()
def regions_load() -> None:
    """Load all 38 provinces and 514 kabupaten/kota (missing ones only)."""
    from sqlmodel import Session

    from app.db import make_engine
    from app.services.regions import load_regions

    url = settings().resolved_database_url
    upgrade_or_exit(url)
    with Session(make_engine(url)) as session:
        provinces, regencies = load_regions(session)
        session.commit()
    click.echo(_("%(provinces)s provinces, %(regencies)s kabupaten/kota")
               % {"provinces": provinces, "regencies": regencies})


@main.command("demo")
@lang_option()
def demo() -> None:
    """Create the demo world (all regions; Kalimantan Tengah's 2024 season to the award, 2025 open) and print the accounts.

    Safe to run again: what exists is kept.
    """
    from sqlmodel import Session

    from app.db import make_engine
    from app.evidence import EvidenceStore
    from app.services.demo import DEMO_PASSWORD, build_demo

    found = settings()
    upgrade_or_exit(found.resolved_database_url)
    catalogue = load_catalogue(found.catalogue_file)
    store = EvidenceStore(found.evidence_dir, found.max_upload_bytes)
    with Session(make_engine(found.resolved_database_url), expire_on_commit=False) as session:
        report = build_demo(session, catalogue, store)
    click.echo(_("Regions: %(provinces)s provinces, %(regencies)s kabupaten/kota")
               % {"provinces": report.provinces, "regencies": report.regencies})
    click.echo("")
    click.echo(_("Demo accounts (password of every account: %(password)s)") % {"password": DEMO_PASSWORD})
    for username, role, where in report.accounts:
        click.echo(f"  {username:<28} {role:<9} {where}")
    click.echo("")
    click.echo(_("Self-assessment scores of Kalimantan Tengah:"))
    for region, total, category in report.scores:
        click.echo(f"  {region:<40} {total:>8}  {category}")
    click.echo("")
    click.echo(_("KLA 2024 awards in Kalimantan Tengah (final score):"))
    for region, total, category in report.awards:
        click.echo(f"  {region:<40} {total:>8}  {category}")
    if report.nation:
        click.echo(_("Other provinces: %(count)s assessments of 2024 written.") % {"count": report.nation})


@main.group()
def cycle() -> None:
    """Evaluation cycles (one per year)."""


@cycle.command("open")
@click.argument("year", type=int)
@click.option("--from", "from_year", type=int, help="Propose the answers of this earlier cycle for confirmation.")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML of old question code: new code (null: dropped), when the instrument changed.")
@click.option("--province", "province_code", help="Only the kab/kota of this province (code, e.g. 62).")
@lang_option()
def cycle_open(year: int, from_year: int | None, mapping: Path | None, province_code: str | None) -> None:
    """Open the cycle YEAR for the kab/kota of the previous one (or of a province)."""
    from sqlmodel import Session

    from app.db import make_engine
    from app.services.cycles import MappingError, load_mapping, open_cycle

    found = settings()
    upgrade_or_exit(found.resolved_database_url)
    catalogue = load_catalogue(found.catalogue_file)
    try:
        codes = load_mapping(mapping, catalogue) if mapping else None
    except MappingError as exc:
        fail(str(exc))
    with Session(make_engine(found.resolved_database_url), expire_on_commit=False) as session:
        opened = open_cycle(session, catalogue, year, from_year=from_year, mapping=codes, province_code=province_code)
        session.commit()
    click.echo(_("Cycle %(year)s: %(opened)s kab/kota opened, %(proposed)s answers proposed to carry over.")
               % {"year": year, "opened": opened.assessments, "proposed": opened.proposed})


@main.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@lang_option()
def backup_command(out: Path) -> None:
    """Write OUT (.tar.gz): a consistent snapshot of the database and the evidence files.

    Safe while the app runs.
    """
    from app.backup import BackupError, backup

    found = settings()
    # not an empty copy of a missing database; any schema, so one can back up before `kla db upgrade`
    open_database(found.resolved_database_url, require_head=False).dispose()
    try:
        manifest = backup(found.resolved_database_url, found.evidence_dir, out)
    except BackupError as exc:
        fail(str(exc))
    click.echo(_("Backup %(out)s: %(database)s database, %(files)s evidence files.")
               % {"out": out, "database": manifest["database"], "files": manifest["evidence_files"]})


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@lang_option()
def restore_command(archive: Path, yes: bool) -> None:
    """Replace the database with the backup ARCHIVE and add its evidence files. Stop the app first."""
    from app.backup import BackupError, restore

    found = settings()
    if not yes:
        click.confirm(_("Replace the database %(url)s with the content of the backup?")
                      % {"url": redacted(found.resolved_database_url)}, abort=True)
    try:
        result = restore(archive, found.resolved_database_url, found.evidence_dir)
    except BackupError as exc:
        fail(str(exc))
    click.echo(_("Restored from the backup of %(created_at)s: %(files)s evidence files added.")
               % {"created_at": result["created_at"], "files": result["restored_files"]})


@main.group()
def evidence() -> None:
    """The evidence store (KLA_DATA_DIR/evidence)."""


@evidence.command("verify")
@lang_option()
def evidence_verify() -> None:
    """Re-hash every stored file; list those missing or altered (exit 1 if any)."""
    from sqlmodel import Session, select

    from app.evidence import EvidenceStore
    from app.models import StoredFile

    found = settings()
    store = EvidenceStore(found.evidence_dir, found.max_upload_bytes)
    missing, altered, checked = [], [], 0
    with Session(open_database(found.resolved_database_url)) as session:
        for sha256 in session.exec(select(StoredFile.sha256).order_by(StoredFile.sha256)):
            checked += 1
            if not store.exists(sha256):
                missing.append(sha256)
            elif not store.verify(sha256):
                altered.append(sha256)
    click.echo(_("%(checked)s files checked: %(missing)s missing, %(altered)s altered.")
               % {"checked": checked, "missing": len(missing), "altered": len(altered)})
    gone, changed = _("MISSING"), _("ALTERED")
    for sha256 in missing:
        click.echo(f"  {gone:<7} {sha256}", err=True)
    for sha256 in altered:
        click.echo(f"  {changed:<7} {sha256}", err=True)
    if missing or altered:
        sys.exit(1)


@main.group()
def audit() -> None:
    """The append-only audit log."""


@audit.command("verify")
@lang_option()
def audit_verify() -> None:
    """Check the hash chains of the audit log (one per kab/kota); name the first broken entry (exit 1)."""
    from sqlmodel import Session

    from app.services.audit import verify_chain

    with Session(open_database(settings().resolved_database_url)) as session:
        report = verify_chain(session)
    if report.broken_id is None:
        click.echo(_("Audit chain intact: %(n)s entries checked.") % {"n": report.checked})
        return
    what = {
        "hash": _("its content was changed after it was written"),
        "link": _("the entry before it is missing or changed"),
    }[report.problem]
    click.echo(_("Audit chain BROKEN at entry #%(id)s: %(what)s (%(n)s earlier entries intact).")
               % {"id": report.broken_id, "what": what, "n": report.checked}, err=True)
    sys.exit(1)
