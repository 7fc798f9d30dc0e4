"""`kla season YEAR`: where every kab/kota stands in the season, its score at every stage reached
(with what is still undecided), its final category once fixed, and each province's Provila status
over the final categories (the `Award` rows)."""

from __future__ import annotations

import json

import click

from app.cli.common import clip, fail, lang_option, main
from app.cli.database import open_database, settings
from app.i18n import _, format_cents
from app.labels import stage_label
from indicators import load_catalogue
from scoring import Scorer, from_cents, provila_status


@main.command("season")
@click.argument("year", type=int)
@click.option("--province", "province_code", default=None, help="Only this province (its code, such as 62).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per kab/kota per line (JSON Lines).")
@lang_option()
def season_command(year: int, province_code: str | None, as_json: bool) -> None:
    """The season of YEAR: per kab/kota its stage, the score at every stage reached and its final category."""
    from sqlmodel import Session, col, select

    from app.models import Cycle, Province
    from app.services.overview import RegionRow, final_categories, region_rows

    found = settings()
    catalogue = load_catalogue(found.catalogue_file)
    scorer = Scorer(catalogue)
    with Session(open_database(found.resolved_database_url), expire_on_commit=False) as session:
        if session.exec(select(Cycle).where(col(Cycle.year) == year)).first() is None:
            fail(_("No cycle for the year %(year)s.") % {"year": year})
        if province_code is not None and session.get(Province, province_code) is None:
            fail(_("Unknown province: %(code)s.") % {"code": province_code})
        rows = [r for r in region_rows(session, scorer, year, province_code) if r.scores is not None]
    bands = {b.code: b.name for b in catalogue.bands}

    def final(row: RegionRow) -> str | None:
        return (row.scores.award or None) if row.scores is not None else None

    if as_json:
        for row in rows:
            assert row.scores is not None
            click.echo(json.dumps({
                "code": row.regency.code, "name": row.regency.name, "stage": str(row.scores.stage),
                "scores": {str(line.stage): float(round(from_cents(line.total.points), 2))
                           for line in row.scores.rows()},
                "category": final(row),
            }, ensure_ascii=False))
        return
    by_province: dict[str, list[RegionRow]] = {}
    for row in rows:
        by_province.setdefault(row.province.code, []).append(row)
    for code, members in by_province.items():
        status = provila_status(catalogue, final_categories(members))
        provila = _("Provila: yes") if status.qualifies else \
            _("Provila: not yet (%(n)s kab/kota holding back)") % {"n": len(status.holding_back)}
        click.echo(f"{code} {members[0].province.name} · {provila}")
        for row in members:
            assert row.scores is not None
            parts = []
            for line in row.scores.rows():
                figure = format_cents(line.total.points)
                if not line.total.complete:
                    figure = _("%(points)s so far, %(n)s undecided (up to %(max)s)") % {
                        "points": figure, "n": line.total.undecided,
                        "max": format_cents(line.total.undecided_cents)}
                parts.append(f"{stage_label(line.stage)} {figure}")
            category = final(row)
            click.echo(f"  {row.regency.code} {clip(row.regency.name, 28):28} {stage_label(row.scores.stage)}")
            click.echo(f"      {' · '.join(parts)}")
            label, named = _("Final category"), bands.get(category, category) if category else _("none")
            click.echo(f"      {label}: {named}")
