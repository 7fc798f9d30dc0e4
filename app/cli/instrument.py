"""`kla catalogue check` and `kla score`: the instrument file and an answers file, no database."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from app.cli.common import clip, fail, lang_option, main
from app.i18n import _, current_language, format_cents, format_decimal_points, pgettext, pick
from indicators import DEFAULT_CATALOGUE, Catalogue, CatalogueError, load_catalogue
from scoring import Scorer, Verdict, category_for, readiness
from scoring.answer_input import parse_answers
from scoring.answers import Answer, ReviewStatus, to_decimal


@main.group()
def catalogue() -> None:
    """Work with the instrument file (data/kla_clusters.yaml)."""


@catalogue.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@lang_option()
def catalogue_check(file: Path) -> None:
    """Validate FILE and print its parts, indicators, questions and points, or every fault."""
    click.echo(catalogue_summary(load_or_exit(file)))


def catalogue_summary(cat: Catalogue) -> str:
    """The table of parts with their counts and maximum points, in the current language."""
    info = cat.data.instrument
    title, part_, name_, indicators, questions, maximum = (
        _("Catalogue"), _("Part"), _("Name"), _("Indicators"), _("Questions"), _("Max points"))
    lines = [f"{title}: {pick(info.title, info.title_en)} ({info.version})", ""]
    header = f"{part_:<6} {name_:<44} {indicators:>10} {questions:>10} {maximum:>10}"
    lines += [header, "-" * len(header)]
    n_indicators = n_questions = 0
    for part in cat.data.parts:
        q = sum(len(i.questions) for i in part.indicators)
        n_indicators += len(part.indicators)
        n_questions += q
        name = pick(part.name, part.name_en)
        lines.append(
            f"{part.code:<6} {clip(name, 44):<44} {len(part.indicators):>10} {q:>10} {_maximum(part.max):>10}"
        )
    lines.append("-" * len(header))
    lines.append(_("Total: %(parts)s parts, %(indicators)s scored indicators, %(questions)s questions, "
                   "maximum %(max)s.") % {"parts": len(cat.data.parts), "indicators": n_indicators,
                                          "questions": n_questions, "max": _maximum(cat.max_total)})
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
@lang_option()
def score(file: Path, catalogue_file: Path) -> None:
    """Score an answers file (YAML or JSON) and print parts, total, category and the gap plan.

    FILE maps question codes to answers: an option code ("ya"), a number or
    percentage (87.5), or {score: 10.5} for points given directly. It may
    instead hold `answers:` plus `reviews:` (code: approved | returned |
    waiting, or {status: approved, score: 4}) to show the verified score too.
    """
    cat = load_or_exit(catalogue_file)
    raw = _read_answers_file(file)
    raw_answers, raw_reviews = (raw.get("answers") or {}, raw.get("reviews")) if "answers" in raw else (raw, None)
    if not isinstance(raw_answers, dict) or (raw_reviews is not None and not isinstance(raw_reviews, dict)):
        fail(_("The answers file must map question codes to answers."))
    scorer = Scorer(cat)
    answers, problems = parse_answers(scorer, raw_answers)
    verdicts = _parse_verdicts(raw_reviews) if raw_reviews is not None else None
    if problems:
        click.echo(_("%(n)s answer(s) cannot be scored:") % {"n": len(problems)}, err=True)
        for problem in problems:
            click.echo(f"  - {problem.message(current_language.get())}", err=True)
    click.echo(score_report(scorer, answers, verdicts))
    if problems:
        sys.exit(1)


def score_report(scorer: Scorer, answers: dict[str, Answer], verdicts: dict[str, Verdict] | None) -> str:
    """Parts, total, category and the gap plan of `answers` (and the verified column with `verdicts`)."""
    cat = scorer.catalogue
    sheet = scorer.score(answers)
    checked = scorer.verified(answers, verdicts) if verdicts is not None else None
    # the CLI's own words where the web's differ ("Skor", "Jumlah" there)
    part_, name_, score_, maximum, verified, total_ = (
        _("Part"), _("Name"), pgettext("cli", "Score"), _("Max points"), _("Verified"), pgettext("cli", "Total"))
    header = f"{part_:<6} {name_:<44} {score_:>9} {maximum:>10}"
    if checked:
        header += f" {verified:>13}"
    lines = [header, "-" * len(header)]
    for part in cat.data.parts:
        name = pick(part.name, part.name_en)
        row = f"{part.code:<6} {clip(name, 44):<44} {_points(sheet.parts[part.code]):>9} {_maximum(part.max):>10}"
        if checked:
            row += f" {_points(checked.parts[part.code]):>13}"
        lines.append(row)
    lines.append("-" * len(header))
    total = f"{total_:<51} {_points(sheet.total):>9} {_maximum(cat.max_total):>10}"
    if checked:
        total += f" {_points(checked.total):>13}"
    lines.append(total)
    band = category_for(scorer, sheet)
    category_ = _("Category")
    category = f"{category_}: {pick(band.name, band.name_en)}"
    if checked:
        checked_band = category_for(scorer, checked)
        category += f"   ({verified}: {pick(checked_band.name, checked_band.name_en)})"
    lines += [category, ""]
    lines += _gap_plan(scorer, answers, verdicts)
    return "\n".join(lines)


def _gap_plan(scorer: Scorer, answers: dict[str, Answer], verdicts: dict[str, Verdict] | None) -> list[str]:
    """What it takes to reach the next category, question by question, and the points at risk."""
    ready = readiness(scorer, answers, verdicts)
    now = _("now")
    lines = []
    if ready.next_category is None:
        lines.append(_("Already in the highest category."))
    else:
        target = pick(ready.next_category.name, ready.next_category.name_en)
        if ready.reachable:
            lines.append(_("To reach %(category)s: +%(points)s points from these %(n)s questions")
                         % {"category": target, "points": _points(ready.points_missing), "n": len(ready.plan)})
        else:
            short = ready.points_missing - ready.plan_gain
            lines.append(_("Even every open question is not enough to reach %(category)s (%(points)s points "
                           "short).") % {"category": target, "points": _points(short)})
        for step in ready.plan:
            question = scorer.catalogue.questions[step.question].question
            lines.append(
                f"  {step.question:<8} +{_points(step.gain):>6}  "
                f"({now} {_points(step.scored)}/{_maximum(question.max)})  {clip(question.text, 70)}"
            )
    if ready.at_risk:
        lines += ["", _("Points at risk (answered, not yet approved): %(points)s in %(n)s questions")
                  % {"points": _points(ready.at_risk_total), "n": len(ready.at_risk)}]
    return lines


# The tables keep the decimal point in both languages (scripts read them); Babel formats them all the same.
def _points(cents: int) -> str:
    return format_cents(cents, language="en")


def _maximum(value: Any) -> str:
    return format_decimal_points(value, language="en")


def _parse_verdicts(raw: dict[Any, Any]) -> dict[str, Verdict]:
    verdicts = {}
    for code, value in raw.items():
        if isinstance(value, dict):
            status, points = value.get("status", "waiting"), to_decimal(value.get("score"))
        else:
            status, points = value, None
        try:
            verdicts[str(code)] = Verdict(ReviewStatus(str(status)), points)
        except ValueError:
            fail(f"reviews.{code}: '{status}' ∉ approved | returned | waiting")
    return verdicts


def _read_answers_file(file: Path) -> dict[Any, Any]:
    try:
        text = file.read_text(encoding="utf-8")
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else exc
        fail(_("The answers file cannot be read: %(problem)s") % {"problem": problem})
    if not isinstance(data, dict):
        fail(_("The answers file must map question codes to answers."))
    return data


def load_or_exit(file: Path) -> Catalogue:
    """The catalogue in `file`, or every fault in it and exit 1."""
    try:
        return load_catalogue(file)
    except CatalogueError as exc:
        click.echo(_("%(n)s fault(s) found in %(source)s:") % {"n": len(exc.faults), "source": file}, err=True)
        for fault in exc.faults:
            click.echo(f"  {fault.render(current_language.get())}", err=True)
        sys.exit(1)
