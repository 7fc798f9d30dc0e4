"""The demo world: every region, Kalimantan Tengah's 2024 season played to the award, and
Kota Palangka Raya's 2025 cycle open.

2024 (`demo_season`): Kota Palangka Raya, Pulang Pisau and Kotawaringin Barat end at Madya;
Kapuas, Katingan, Kotawaringin Timur and Sukamara at Pratama, each 70 to 300 points below its
self-assessment after the province, the ministry, the field team and the final verification,
with recommendations followed up to different points. The other seven kab/kota of the province
stopped earlier (still filling in, at the province, at the ministry). The other provinces
(`demo_nation`) fill the national counts of the published distribution. The award list is
published, so the 2024 season is read-only. In every region of the province each answer past
draft whose question requires evidence has its file, as submission demands.

2025 (`demo_next`): Kota Palangka Raya's answers carried over, some accepted and at work, the
2024 recommendations still open on their questions: its DP3A and agency accounts work there.
Kabupaten Pulang Pisau's 2025 (`demo_province_2025`, issue 24) is at the province: carried over,
submitted and approved by its DP3A, handed over, and one answer returned by the province (which
opened the 2x24 h reopening the demo's e-mails tell its DP3A about).

The `kla demo` command's unit of work: it commits once per kab/kota, so that a long run leaves
what it finished.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import insert
from sqlmodel import Session, col, select

from app.evidence import EvidenceStore
from app.models import (
    Agency,
    Answer,
    AnswerStatus,
    AreaLevel,
    Assessment,
    Award,
    Cycle,
    Evidence,
    Regency,
    Reopening,
    ReviewAction,
    ReviewEvent,
    Role,
    User,
    saved_id,
)
from app.passwords import hash_password
from app.services import administration, areas, audit, documents
from app.services import demo_records as records
from app.services import review as review_service
from app.services.administration import KECAMATAN_ROLE
from app.services.answers import scored
from app.services.demo_documents import build_next_library, build_past_library
from app.services.demo_meetings import build_meetings  # issue 24, rapat
from app.services.demo_nation import build_nation
from app.services.demo_next import NEXT_YEAR, open_next
from app.services.demo_notices import due_reminders  # issue 24, surel
from app.services.demo_province_2025 import build_province_2025  # issue 24, demo
from app.services.demo_rad import build_rad  # issue 24, rad
from app.services.demo_season import (
    MOVED_ON,
    People,
    Plan,
    answers_for_target,
    decided_on,
    pick_answers,
    plan_award,
    play_to_final,
    publish,
)
from app.services.demo_season import move as season_move
from app.services.demo_taskforce import build_team  # issue 24, gugus
from app.services.evidence import register
from app.services.regions import load_regions
from app.services.setup import default_agencies, ensure_cycle, open_assessment
from indicators import Catalogue
from scoring import Move, Scorer, Stage, category_for, format_points

DEMO_PASSWORD = "demo-kla-2024"
PROVINCE = "62"
FOCUS = "62.71"  # Kota Palangka Raya

# The category each awarded kab/kota of the demo province ends at (KLA 2024).
TARGETS = {
    "62.71": "madya", "62.11": "madya", "62.01": "madya",
    "62.03": "pratama", "62.06": "pratama", "62.02": "pratama", "62.08": "pratama",
}
# Where the others stopped (the rest never handed their self-assessment over).
STOPPED = {"62.07": Stage.PROVINCE, "62.13": Stage.PROVINCE, "62.10": Stage.MINISTRY}
# Local names of the women's and children's agency differ in every region (KLA.md).
LOCAL_DP3A = {"62.71": ("DPPKBPA3PM", "Dinas Pengendalian Penduduk, Keluarga Berencana, Pemberdayaan "
                        "Perempuan dan Perlindungan Anak dan Pemberdayaan Masyarakat Kota Palangkaraya")}
FOCUS_AGENCIES = ("DINKES", "DISDIK", "DUKCAPIL", "DINSOS", "BAPPEDA", "KEMENAG", "POLRES")


@dataclass
class DemoReport:
    provinces: int = 0
    regencies: int = 0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, where
    scores: list[tuple[str, str, str]] = field(default_factory=list)  # region, total, category
    awards: list[tuple[str, str, str]] = field(default_factory=list)  # region, final total, category
    nation: int = 0  # assessments written for the other provinces (0: already there)


def build_demo(session: Session, catalogue: Catalogue, store: EvidenceStore, seed: int = 2024, *,
               nation: bool = True) -> DemoReport:
    """Create the demo world; running it twice changes nothing the second time. `nation=False`
    leaves the other provinces without a season (quicker, for tests of the province)."""
    report = DemoReport()
    report.provinces, report.regencies = load_regions(session)
    cycle = ensure_cycle(session, catalogue)
    scorer = Scorer(catalogue)
    rng = random.Random(seed)
    hashed = hash_password(DEMO_PASSWORD)  # once: hashing is slow on purpose, and every account shares it
    account = _Accounts(session, report, hashed)
    stored_files: dict[str, str] = {}  # question -> its sample file
    admin = account("admin.kemenpppa", "Admin Kementerian PPPA", Role.ADMIN, "Nasional")
    verifier = account("prov.kalteng", "Verifikator Provinsi Kalimantan Tengah", Role.PROVINCE,
                       "Kalimantan Tengah", province_code=PROVINCE)
    reviewer = account("reviu.kemenpppa", "Peninjau Kementerian PPPA", Role.REVIEWER, "Kalimantan Tengah",
                       provinces=[PROVINCE], organisation="KemenPPPA")
    field_verifier = account("verifikator.kemenkes", "Verifikator Lapangan Kemenkes", Role.VERIFIER,
                             "Tim lapangan Kalimantan Tengah", organisation="Kemenkes")
    regencies = session.exec(select(Regency).where(Regency.province_code == PROVINCE).order_by(Regency.code)).all()
    for regency in regencies:
        default_agencies(session, regency, catalogue)
        _local_names(session, regency.code)
        fresh = _is_fresh(session, regency.code, cycle)
        assessment = open_assessment(session, regency, cycle, catalogue)
        agencies = {a.role_code: a for a in session.exec(select(Agency).where(Agency.regency_code == regency.code))}
        slug = _slug(regency.name)
        dp3a = account(f"dp3a.{slug}", f"Admin DP3A {regency.name}", Role.DP3A, regency.name,
                       regency_code=regency.code, agency_id=agencies["DP3A"].id)
        opd: dict[int, User] = {}
        if regency.code == FOCUS:
            for role in FOCUS_AGENCIES:
                opd[saved_id(agencies[role].id)] = account(
                    f"{role.lower()}.{slug}", f"Operator {role} {regency.name}", Role.OPD, regency.name,
                    regency_code=regency.code, agency_id=agencies[role].id)
        if fresh:
            target = TARGETS.get(regency.code)
            plan = plan_award(scorer, list(catalogue.questions), target, rng) if target else None
            _answer_region(session, catalogue, scorer, store, assessment, regency.code, dp3a, rng, plan,
                           stored_files)
            if plan is not None:
                people = People(dp3a, verifier, reviewer, field_verifier, admin, opd)
                play_to_final(session, catalogue, assessment, plan, people, rng, focus=regency.code == FOCUS)
            elif regency.code in STOPPED:
                _stop_at(session, catalogue, assessment, STOPPED[regency.code], dp3a, verifier, reviewer, rng)
        session.commit()
        answers = {
            a.question_code: a for a in session.exec(select(Answer).where(Answer.assessment_id == assessment.id))
        }
        sheet = scorer.score({c: s for c, a in answers.items() if (s := scored(a)) is not None})
        report.scores.append((regency.name, format_points(sheet.total), category_for(scorer, sheet).name))
        award = session.exec(select(Award).where(Award.assessment_id == assessment.id)).first()
        if award is not None:
            report.awards.append((regency.name, format_points(int(award.total * 100)), _band_name(catalogue, award)))
    if nation:
        kalteng: dict[str, str | None] = {r.code: TARGETS.get(r.code) for r in regencies}
        report.nation = build_nation(session, scorer, cycle, kalteng, admin, hashed, rng)
        session.commit()
    if cycle.published_at is None:  # every kab/kota at the final stage has its award: the list goes out
        at_final = session.exec(select(Assessment).where(Assessment.cycle_id == cycle.id,
                                                         Assessment.stage == Stage.FINAL)).all()
        publish(session, list(at_final), admin)
        cycle.published_at, cycle.published_by = MOVED_ON[Move.PUBLISH], admin.id
        session.add(cycle)
        audit.record(session, admin, "cycle.publish", "cycle", cycle.id, after={"year": cycle.year})
        session.commit()
    focus_dp3a = session.exec(select(User).where(User.regency_code == FOCUS, User.role == Role.DP3A)).one()
    focus_opd = session.exec(select(User).where(User.username == "dinkes.palangkaraya")).one()
    past = session.exec(select(Assessment).where(Assessment.cycle_id == cycle.id,
                                                 Assessment.regency_code == FOCUS)).one()
    fresh_next = session.exec(select(Cycle).where(Cycle.year == NEXT_YEAR)).first() is None
    if fresh_next:  # the 2024 library and figures, before 2025 carries them over
        build_past_library(session, catalogue, store, past, cycle.year, focus_dp3a, focus_opd,
                           MOVED_ON[Move.SUBMIT] - timedelta(days=9))
        records.past_figures(session, catalogue, past, cycle.year, focus_dp3a)
    current = open_next(session, catalogue, scorer, focus_dp3a, rng)
    if fresh_next:
        place = records.place_of(session, current)
        build_next_library(session, catalogue, store, current, NEXT_YEAR, focus_dp3a, focus_opd)
        records.next_figures(session, catalogue, scorer, place, focus_dp3a)
        office = administration.create_agency(session, catalogue, focus_dp3a, FOCUS, "", "", KECAMATAN_ROLE,
                                              area_code=office_area(session))
        camat = account("camat.pahandut", "Operator Kecamatan Pahandut", Role.OPD, "Kec. Pahandut (Kelana/Dekela)",
                        regency_code=FOCUS, agency_id=office.id)
        records.office_records(session, catalogue, place, camat)
        records.next_areas(session, catalogue, scorer, store, place, focus_dp3a)
        records.next_marks(session, catalogue, scorer, place, focus_dp3a)
        records.past_marks(session, catalogue, scorer, past, focus_dp3a)
        build_team(session, catalogue, place, focus_dp3a)  # issue 24, gugus: the Gugus Tugas and its coordinators
        build_rad(session, catalogue, store, place, focus_dp3a)  # issue 24, rad: the RAD KLA with progress
        build_meetings(session, catalogue, store, place, focus_dp3a)  # issue 24, rapat: two meetings linked to questions
        build_province_2025(session, catalogue, scorer, current)  # issue 24, demo: Pulang Pisau 2025 at the province
        due_reminders(session, catalogue, current, focus_dp3a, focus_opd)  # issue 24, surel: e-mails due now
    session.commit()
    return report


def office_area(session: Session) -> str:
    """The code of the kecamatan whose office has a demo account."""
    found = [a for a in areas.areas_of(session, FOCUS, AreaLevel.KECAMATAN) if a.name == records.OFFICE_KECAMATAN]
    return found[0].code


def _band_name(catalogue: Catalogue, award: Award) -> str:
    return next(b.name for b in catalogue.bands if b.code == award.category)


def _is_fresh(session: Session, regency_code: str, cycle: Cycle) -> bool:
    return session.exec(
        select(Assessment).where(Assessment.cycle_id == cycle.id, Assessment.regency_code == regency_code)
    ).first() is None


def _slug(name: str) -> str:
    for prefix in ("Kabupaten ", "Kota "):
        name = name.removeprefix(prefix)
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _local_names(session: Session, regency_code: str) -> None:
    local = LOCAL_DP3A.get(regency_code)
    if not local:
        return
    agency = session.exec(
        select(Agency).where(Agency.regency_code == regency_code, Agency.role_code == "DP3A")
    ).first()
    assert agency is not None  # default_agencies made it
    agency.short_name, agency.name = local
    session.add(agency)


class _Accounts:
    """Makes (or finds) a demo account and lists it for the printout."""

    def __init__(self, session: Session, report: DemoReport, password_hash: str) -> None:
        self.session, self.report, self.password_hash = session, report, password_hash

    def __call__(self, username: str, full_name: str, role: Role, where: str, *, province_code: str | None = None,
                 regency_code: str | None = None, agency_id: int | None = None, provinces: list[str] | None = None,
                 organisation: str = "") -> User:
        user = self.session.exec(select(User).where(User.username == username)).first()
        if user is None:
            user = User(username=username, full_name=full_name, role=role, password_hash=self.password_hash,
                        province_code=province_code, regency_code=regency_code, agency_id=agency_id,
                        provinces=provinces or [], organisation=organisation)
            user.email = f"{username}@example.org"  # issue 24, surel: a reserved domain (RFC 2606)
            self.session.add(user)
            self.session.flush()
        self.report.accounts.append((username, role.value, where))
        return user


def _answer_region(session: Session, catalogue: Catalogue, scorer: Scorer, store: EvidenceStore,
                   assessment: Assessment, regency_code: str, dp3a: User, rng: random.Random,
                   plan: Plan | None, stored_files: dict[str, str]) -> None:
    """The self-assessment: an awarded kab/kota's planned answers, all checked by its DP3A; the
    others part-way (those that went on to the province answered everything)."""
    codes = list(catalogue.questions)
    focus = regency_code == FOCUS
    if plan is not None:
        chosen = plan.answers
    elif regency_code in STOPPED:
        chosen = answers_for_target(scorer, codes, rng.uniform(420, 560), rng)
    else:
        share = rng.uniform(0.2, 0.6)
        chosen = pick_answers(scorer, rng.sample(codes, int(len(codes) * share)), 0.45, rng)
    handed_over = plan is not None or regency_code in STOPPED
    given_on = MOVED_ON[Move.SUBMIT] - timedelta(days=8)
    rows = [{"assessment_id": assessment.id, "question_code": code, "option": given.option, "value": given.value,
             "note": "", "not_applicable": False, "version": 1, "updated_by": dp3a.id, "updated_at": given_on,
             "submitted_at": given_on,
             "status": AnswerStatus.APPROVED if handed_over or rng.random() < 0.7 else AnswerStatus.SUBMITTED}
            for code, given in sorted(chosen.items())]
    # Some 270 answers per kab/kota with their files and events: one executemany per table.
    ids = session.execute(insert(Answer).returning(col(Answer.id), sort_by_parameter_order=True), rows).scalars().all()
    files, events = [], []
    for answer_id, code, row in zip(ids, sorted(chosen), rows, strict=True):
        # Submission needs the evidence a question requires: no submitted answer may lack it.
        if catalogue.questions[code].question.evidence.required or (focus and rng.random() < 0.45):
            files.append({"answer_id": answer_id, "sha256": _sample_file(session, store, catalogue, code, stored_files),
                          "filename": f"bukti-{code}.pdf", "uploaded_by": dp3a.id, "uploaded_at": given_on})
        events.append({"answer_id": answer_id, "stage": Stage.SELF, "action": ReviewAction.SUBMITTED, "reasons": [],
                       "note": "", "user_id": dp3a.id, "at": given_on})
        if row["status"] == AnswerStatus.APPROVED:
            events.append({"answer_id": answer_id, "stage": Stage.DP3A, "action": ReviewAction.APPROVED,
                           "reasons": [], "note": "", "user_id": dp3a.id, "at": given_on + timedelta(days=2)})
    if files:
        session.execute(insert(Evidence), files)
        documents.adopt_unlinked(session, saved_id(assessment.id))
    session.execute(insert(ReviewEvent), events)
    audit.record(session, dp3a, "demo.answers", "assessment", assessment.id, regency_code=regency_code,
                 after={"answers": len(chosen)})


def _stop_at(session: Session, catalogue: Catalogue, assessment: Assessment, stage: Stage, dp3a: User,
             verifier: User, reviewer: User, rng: random.Random) -> None:
    """Handed over, then stopped at `stage` when the list was published: the province decided on part
    of the answers (a return opened the kab/kota's 2x24 h window to fix it), or on all of them and the
    ministry on part."""
    session.flush()
    season_move(session, assessment, Move.SUBMIT, dp3a)
    answers = session.exec(select(Answer).where(Answer.assessment_id == assessment.id)
                           .order_by(col(Answer.question_code))).all()
    share = 0.6 if stage == Stage.PROVINCE else 1.0
    reasons = [r.code for r in catalogue.review_reasons]
    for answer in answers:
        if rng.random() >= share:
            continue
        at = decided_on(Stage.PROVINCE, rng)
        # As review.decide leaves it: the answer takes the province's word.
        if stage == Stage.PROVINCE and rng.random() < 0.1:
            note = "Bukti dukung tidak sesuai dengan tahun penilaian."
            session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.PROVINCE, action=ReviewAction.RETURNED,
                                    user_id=saved_id(verifier.id), reasons=[rng.choice(reasons)], note=note, at=at))
            session.add(Reopening(answer_id=saved_id(answer.id), stage=Stage.PROVINCE, opened_by=saved_id(verifier.id),
                                  note=note, opened_at=at, until=at + timedelta(hours=review_service.REOPEN_HOURS)))
            answer.status = AnswerStatus.RETURNED
        else:
            session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.PROVINCE, action=ReviewAction.APPROVED,
                                    user_id=saved_id(verifier.id), at=at))
        session.add(answer)
    if stage == Stage.MINISTRY:
        season_move(session, assessment, Move.HAND_ON, verifier)
        for answer in answers:
            if rng.random() < 0.5:
                session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.MINISTRY,
                                        action=ReviewAction.APPROVED, user_id=saved_id(reviewer.id),
                                        at=decided_on(Stage.MINISTRY, rng)))


def _sample_file(session: Session, store: EvidenceStore, catalogue: Catalogue, code: str,
                 stored_files: dict[str, str]) -> str:
    """One small PDF per question, shared by every kab/kota of the demo (stored and registered once)."""
    if code not in stored_files:
        question = catalogue.questions[code].question
        stored = store.save_file(io.BytesIO(sample_pdf(f"Bukti dukung {question.code} - 2024", question.text[:90])))
        register(session, stored)
        stored_files[code] = stored.sha256
    return stored_files[code]


def sample_pdf(title: str, body: str, *more: str) -> bytes:
    """A small, valid one-page PDF with a text layer (no library needed): a heading, a line, and
    `more` lines below them, as the first page of a decree reads ("NOMOR 5 TAHUN 2021", "TENTANG" ...)."""

    def escape(text: str) -> str:
        text = text.encode("latin-1", "replace").decode("latin-1")
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = (f"BT /F1 14 Tf 50 780 Td ({escape(title)}) Tj ET\n"
              f"BT /F1 10 Tf 50 760 Td ({escape(body)}) Tj ET\n"
              + "".join(f"BT /F1 11 Tf 50 {736 - 18 * n} Td ({escape(line)}) Tj ET\n"
                        for n, line in enumerate(more))).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body_bytes in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body_bytes + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
