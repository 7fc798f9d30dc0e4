"""The text of each e-mail, written in the recipient's language (call inside `using_language`).

No e-mail carries sensitive content: for a sensitive question (or a recommendation about one) never a
file name and never the note or the recommendation's text: the reader opens the app, where access is
checked, to read them. Every message links to its page and ends with how to turn it off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from app.clock import local_time
from app.i18n import _, pick
from app.labels import coordinator_decision_label, returned_by_label
from indicators import Catalogue
from scoring import Stage

NOTE_CHARS = 600  # a long note is cut: the page holds all of it
PREFERENCES_PATH = "/akun/surel"


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


@dataclass(frozen=True)
class Place:
    """Where a message is about: the kab/kota, the year, and the app's address for links."""

    regency_code: str
    regency_name: str
    year: int
    public_url: str

    def link(self, path: str) -> str:
        return f"{self.public_url.rstrip('/')}/r/{self.regency_code}/{self.year}{path}"


@dataclass(frozen=True)
class Arrivals:
    """What reached a DP3A since its previous digest (question codes; follow-ups as recommendation ids)."""

    submitted: list[str] = field(default_factory=list)
    resubmitted: list[str] = field(default_factory=list)
    returned_above: list[str] = field(default_factory=list)  # by the province, the ministry, later stages
    follow_ups: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.submitted or self.resubmitted or self.returned_above or self.follow_ups)


def _footer(place: Place) -> str:
    where = f"{place.public_url.rstrip('/')}{PREFERENCES_PATH}"
    return "\n\n-- \n" + _("You receive this e-mail from the KLA self-assessment application. To choose which "
                           "e-mails you get, or to turn them off: %(link)s") % {"link": where}


def _cut(text: str) -> str:
    text = text.strip()
    return text if len(text) <= NOTE_CHARS else text[:NOTE_CHARS].rstrip() + " …"


def _question(catalogue: Catalogue, code: str) -> str:
    ref = catalogue.questions.get(code)
    return f"{code}: {ref.question.text}" if ref is not None else code


def _reasons(catalogue: Catalogue, codes: list[str]) -> str:
    names = {r.code: pick(r.name, r.name_en) for r in catalogue.review_reasons}
    return ", ".join(names.get(code, code) for code in codes)


def _note_line(note: str, sensitive: bool) -> str | None:
    if sensitive:
        return _("Note: open the application to read the note (this question is sensitive; its note is "
                 "never sent by e-mail).")
    return _("Note: %(note)s") % {"note": _cut(note)} if note.strip() else None


def _returned_by(catalogue: Catalogue, code: str, stage: str) -> str:
    """Who returned it; a cluster coordinator with their part ("Klaster III"), never read as the DP3A."""
    ref = catalogue.questions.get(code)
    if stage == Stage.CLUSTER:
        return coordinator_decision_label("returned", ref.part.short_name if ref is not None else "")
    return returned_by_label(stage)


def returned(catalogue: Catalogue, place: Place, code: str, stage: str, reasons: list[str], note: str, *,
             sensitive: bool, until: datetime | None) -> Message:
    subject = _("[KLA %(year)s] Answer returned: %(code)s") % {"year": place.year, "code": code}
    lines: list[str | None] = [
        _("An answer of %(regency)s (%(year)s) was returned for correction.")
        % {"regency": place.regency_name, "year": place.year},
        "",
        _("Question: %(question)s") % {"question": _question(catalogue, code)},
        _returned_by(catalogue, code, stage),
        _("Reasons: %(reasons)s") % {"reasons": _reasons(catalogue, reasons)} if reasons else None,
        _note_line(note, sensitive),
    ]
    if until is not None:
        lines.append(_("You can change the answer until %(deadline)s.") % {"deadline": local_time(until)})
    lines += ["", _("Open the question: %(link)s") % {"link": place.link(f"/isian/{code}")}]
    return Message(subject, _join(lines) + _footer(place))


def reopened(catalogue: Catalogue, place: Place, code: str, note: str, until: datetime, *,
             sensitive: bool) -> Message:
    subject = _("[KLA %(year)s] Answer reopened until %(deadline)s: %(code)s") % {
        "year": place.year, "deadline": local_time(until), "code": code}
    lines: list[str | None] = [
        _("An answer of %(regency)s (%(year)s) is open again for correction until %(deadline)s. After that "
          "it closes by itself.") % {"regency": place.regency_name, "year": place.year,
                                     "deadline": local_time(until)},
        "",
        _("Question: %(question)s") % {"question": _question(catalogue, code)},
        _note_line(note, sensitive),
        "",
        _("Open the question: %(link)s") % {"link": place.link(f"/isian/{code}")},
    ]
    return Message(subject, _join(lines) + _footer(place))


def window(place: Place, closes_at: datetime, to_submit: int, *, whole_regency: bool) -> Message:
    subject = _("[KLA %(year)s] The answering window closes on %(deadline)s") % {
        "year": place.year, "deadline": local_time(closes_at)}
    if whole_regency:
        count = _("%(n)s questions of the kab/kota have not been submitted yet.") % {"n": to_submit}
    else:
        count = _("%(n)s questions of your agency have not been submitted yet.") % {"n": to_submit}
    lines = [
        _("The answering window of %(regency)s (%(year)s) closes on %(deadline)s. After that, answers can no "
          "longer be changed.") % {"regency": place.regency_name, "year": place.year,
                                    "deadline": local_time(closes_at)},
        count,
        "",
        _("Open your questions: %(link)s") % {"link": place.link("/isian")},
    ]
    return Message(subject, _join(lines) + _footer(place))


def recommendation(place: Place, rec_id: int, text: str, due_on: date, today: date, *,
                   sensitive: bool) -> Message:
    due = due_on.strftime("%d-%m-%Y")
    if due_on < today:
        subject = _("[KLA %(year)s] Recommendation overdue since %(date)s") % {"year": place.year, "date": due}
    else:
        subject = _("[KLA %(year)s] Recommendation due on %(date)s") % {"year": place.year, "date": due}
    body_text = (_("Text: open the application to read the recommendation (it is about a sensitive "
                   "question).") if sensitive else _("Text: %(text)s") % {"text": _cut(text)})
    lines = [
        _("The follow-up of a recommendation to %(regency)s (%(year)s) is due on %(date)s.")
        % {"regency": place.regency_name, "year": place.year, "date": due},
        body_text,
        "",
        _("Report the follow-up: %(link)s") % {"link": place.link(f"/rekomendasi/{rec_id}")},
    ]
    return Message(subject, _join(lines) + _footer(place))


def digest(place: Place, day: date, arrivals: Arrivals) -> Message:
    subject = _("[KLA %(year)s] Daily summary for %(regency)s, %(date)s") % {
        "year": place.year, "regency": place.regency_name, "date": day.strftime("%d-%m-%Y")}
    lines = [_("What arrived since the previous summary:"), ""]
    for label, codes in ((_("Answers submitted: %(n)s"), arrivals.submitted),
                         (_("Answers submitted again after a return: %(n)s"), arrivals.resubmitted),
                         (_("Answers returned by the province or the ministry: %(n)s"), arrivals.returned_above)):
        if codes:
            lines.append(label % {"n": len(codes)} + "  (" + _shortlist(codes) + ")")
    if arrivals.follow_ups:
        lines.append(_("Follow-ups of recommendations reported: %(n)s") % {"n": len(arrivals.follow_ups)})
    lines += ["", _("Open the review queue: %(link)s") % {"link": place.link("/verifikasi")}]
    return Message(subject, _join(lines) + _footer(place))


def _shortlist(codes: list[str], most: int = 15) -> str:
    shown = ", ".join(codes[:most])
    return shown + (" …" if len(codes) > most else "")


def _join(lines: Sequence[str | None]) -> str:
    """The lines, without the parts a message does not have (None)."""
    return "\n".join(line for line in lines if line is not None).strip()
