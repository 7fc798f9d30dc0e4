"""The demo world: every region, Kalimantan Tengah in the middle of a cycle.

Kota Palangka Raya, Pulang Pisau and Kotawaringin Barat stand as Madya,
Kapuas, Katingan, Kotawaringin Timur and Sukamara as Pratama (the seven the
demo names as awarded); the others are part-way. Kota Palangka Raya is the
one to click through: agencies with accounts, answers in every state, small
evidence files, one answer returned with a reason. The six other awarded ones
have handed their self-assessment to the province, which has decided on every
answer of most of them and on part of the others, so the province has
something to compare and drill into. In every region each answer past draft
whose question requires evidence has its file, as submission demands.

The `kla demo` command's unit of work: it commits once per kab/kota, so that a long run leaves
what it finished.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from sqlmodel import Session, select

from app.evidence import EvidenceStore
from app.models import (
    Agency,
    Answer,
    AnswerStatus,
    Assessment,
    Cycle,
    Evidence,
    Regency,
    Reopening,
    ReviewAction,
    ReviewEvent,
    Role,
    User,
    saved_id,
    utcnow,
)
from app.passwords import hash_password
from app.services import audit
from app.services import review as review_service
from app.services.answers import scored
from app.services.evidence import register
from app.services.regions import load_regions
from app.services.setup import default_agencies, ensure_cycle, open_assessment
from indicators import Catalogue
from scoring import Answer as ScoredAnswer
from scoring import Scorer, Stage, category_for, format_points
from scoring.samples import possible_answers

DEMO_PASSWORD = "demo-kla-2024"
PROVINCE = "62"
FOCUS = "62.71"  # Kota Palangka Raya

# Target category per kab/kota of the demo province; None: still early in the cycle.
TARGETS = {
    "62.71": "madya", "62.11": "madya", "62.01": "madya",
    "62.03": "pratama", "62.06": "pratama", "62.02": "pratama", "62.08": "pratama",
}
BAND_MIDDLE = {"pratama": 560, "madya": 650}
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


def build_demo(session: Session, catalogue: Catalogue, store: EvidenceStore, seed: int = 2024) -> DemoReport:
    """Create the demo world; running it twice changes nothing the second time."""
    report = DemoReport()
    report.provinces, report.regencies = load_regions(session)
    cycle = ensure_cycle(session, catalogue)
    scorer = Scorer(catalogue)
    rng = random.Random(seed)
    _account(session, report, "admin.kemenpppa", "Admin Kementerian PPPA", Role.ADMIN, "Nasional")
    verifier = _account(session, report, "prov.kalteng", "Verifikator Provinsi Kalimantan Tengah", Role.PROVINCE,
                        "Kalimantan Tengah", province_code=PROVINCE)
    regencies = session.exec(select(Regency).where(Regency.province_code == PROVINCE).order_by(Regency.code)).all()
    for regency in regencies:
        default_agencies(session, regency, catalogue)
        _local_names(session, regency.code)
        fresh = _is_fresh(session, regency.code, cycle)
        assessment = open_assessment(session, regency, cycle, catalogue)
        agencies = {a.role_code: a for a in session.exec(select(Agency).where(Agency.regency_code == regency.code))}
        slug = _slug(regency.name)
        dp3a = _account(session, report, f"dp3a.{slug}", f"Admin DP3A {regency.name}", Role.DP3A, regency.name,
                        regency_code=regency.code, agency_id=agencies["DP3A"].id)
        if regency.code == FOCUS:
            for role in FOCUS_AGENCIES:
                _account(session, report, f"{role.lower()}.{slug}", f"Operator {role} {regency.name}", Role.OPD,
                         regency.name, regency_code=regency.code, agency_id=agencies[role].id)
        if fresh:
            _answer_region(session, catalogue, scorer, store, assessment, regency.code, dp3a, rng)
            if regency.code in TARGETS and regency.code != FOCUS:
                _hand_to_province(session, catalogue, assessment, dp3a, verifier, rng)
        session.commit()
        answers = {
            a.question_code: a for a in session.exec(select(Answer).where(Answer.assessment_id == assessment.id))
        }
        sheet = scorer.score({c: s for c, a in answers.items() if (s := scored(a)) is not None})
        report.scores.append((regency.name, format_points(sheet.total), category_for(scorer, sheet).name))
    session.commit()
    return report


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


def _account(session: Session, report: DemoReport, username: str, full_name: str, role: Role, where: str, *,
             province_code: str | None = None, regency_code: str | None = None, agency_id: int | None = None) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        user = User(username=username, full_name=full_name, role=role, password_hash=hash_password(DEMO_PASSWORD),
                    province_code=province_code, regency_code=regency_code, agency_id=agency_id)
        session.add(user)
        session.flush()
    report.accounts.append((username, role.value, where))
    return user


def _pick_answers(scorer: Scorer, codes: list[str], quality: float, rng: random.Random) -> dict[str, ScoredAnswer]:
    """One answer per question, better on average as `quality` rises (0..1)."""
    chosen: dict[str, ScoredAnswer] = {}
    for code in codes:
        options = possible_answers(scorer, code)
        ranked = sorted(options, key=partial(scorer.question_points, code))
        spread = min(len(ranked) - 1, max(0, round(rng.gauss(quality, 0.25) * (len(ranked) - 1))))
        chosen[code] = ranked[spread]
    return chosen


def _answers_for_target(scorer: Scorer, codes: list[str], target_points: float,
                        rng: random.Random) -> dict[str, ScoredAnswer]:
    low, high = 0.0, 1.0
    best: dict[str, ScoredAnswer] = {}
    for _ in range(14):
        quality = (low + high) / 2
        state = rng.getstate()
        best = _pick_answers(scorer, codes, quality, rng)
        rng.setstate(state)
        total = scorer.score(best).total / 100
        if total < target_points:
            low = quality
        else:
            high = quality
    return best


def _answer_region(session: Session, catalogue: Catalogue, scorer: Scorer, store: EvidenceStore,
                   assessment: Assessment, regency_code: str, dp3a: User, rng: random.Random) -> None:
    codes = list(catalogue.questions)
    target = TARGETS.get(regency_code)
    focus = regency_code == FOCUS
    if target:
        # The focus region leaves a fifth of its questions open, so it aims higher to stay in its band.
        aim = BAND_MIDDLE[target] * (1.25 if focus else 1)
        chosen = _answers_for_target(scorer, codes, aim, rng)
    else:
        share = rng.uniform(0.2, 0.6)
        chosen = _pick_answers(scorer, rng.sample(codes, int(len(codes) * share)), 0.45, rng)
    if focus:  # leave a fifth open so there is something to do
        for code in rng.sample(sorted(chosen), len(chosen) // 5):
            del chosen[code]
    reasons = [r.code for r in catalogue.review_reasons]
    for index, (code, given) in enumerate(sorted(chosen.items())):
        answer = Answer(assessment_id=saved_id(assessment.id), question_code=code, option=given.option, value=given.value,
                        note="", updated_by=dp3a.id, version=1)
        status = _demo_status(index, focus, rng)
        answer.status = status
        if status != AnswerStatus.DRAFT:
            answer.submitted_at = utcnow()
        session.add(answer)
        session.flush()
        roll = rng.random() if focus else 1.0  # drawn as before, so the rest of the demo stays as it was
        # Submission needs the evidence a question requires: no submitted answer may lack it.
        needs_file = status != AnswerStatus.DRAFT and catalogue.questions[code].question.evidence.required
        if needs_file or (focus and roll < 0.45):
            _attach_pdf(session, store, answer, catalogue, regency_code, dp3a)
        if status != AnswerStatus.DRAFT:
            session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.SELF, action=ReviewAction.SUBMITTED,
                                    user_id=saved_id(dp3a.id)))
        if status == AnswerStatus.APPROVED:
            session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.DP3A, action=ReviewAction.APPROVED,
                                    user_id=saved_id(dp3a.id)))
        if status == AnswerStatus.RETURNED:
            session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.DP3A, action=ReviewAction.RETURNED, user_id=saved_id(dp3a.id),
                                    reasons=[rng.choice(reasons)],
                                    note="Lampirkan dokumen tahun berjalan yang sudah ditandatangani."))
    audit.record(session, dp3a, "demo.answers", "assessment", assessment.id, regency_code=regency_code,
                 after={"answers": len(chosen)})


def _hand_to_province(session: Session, catalogue: Catalogue, assessment: Assessment, dp3a: User, verifier: User,
                      rng: random.Random) -> None:
    """Submitted to the province, which decided on every answer of some regions and a few of the others."""
    session.flush()
    state = review_service.load_state(session, assessment)
    review_service.submit_assessment(session, assessment, review_service.check_submission(state, catalogue), dp3a)
    answers = session.exec(select(Answer).where(Answer.assessment_id == assessment.id)
                           .order_by(Answer.question_code)).all()
    share = 1.0 if rng.random() < 0.67 else 0.6
    reasons = [r.code for r in catalogue.review_reasons]
    for answer in answers:
        if rng.random() >= share:
            continue
        # As review.decide leaves it: the answer takes the province's word, and a return opens the
        # kab/kota's 2x24 h window to fix it.
        if rng.random() < 0.1:
            note = "Bukti dukung tidak sesuai dengan tahun penilaian."
            session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.PROVINCE, action=ReviewAction.RETURNED,
                                    user_id=saved_id(verifier.id),
                                    reasons=[rng.choice(reasons)], note=note))
            session.add(Reopening(answer_id=saved_id(answer.id), stage=Stage.PROVINCE, opened_by=saved_id(verifier.id), note=note,
                                  until=utcnow() + timedelta(hours=review_service.REOPEN_HOURS)))
            answer.status = AnswerStatus.RETURNED
        else:
            session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.PROVINCE, action=ReviewAction.APPROVED,
                                    user_id=saved_id(verifier.id)))
            answer.status = AnswerStatus.APPROVED
        session.add(answer)


def _demo_status(index: int, focus: bool, rng: random.Random) -> AnswerStatus:
    if not focus:
        return AnswerStatus.APPROVED if rng.random() < 0.7 else AnswerStatus.SUBMITTED
    roll = rng.random()
    if roll < 0.35:
        return AnswerStatus.DRAFT
    if roll < 0.6:
        return AnswerStatus.SUBMITTED
    if roll < 0.95:
        return AnswerStatus.APPROVED
    return AnswerStatus.RETURNED


def _attach_pdf(session: Session, store: EvidenceStore, answer: Answer, catalogue: Catalogue, regency_code: str,
                user: User) -> None:
    question = catalogue.questions[answer.question_code].question
    title = f"Bukti dukung {question.code} - {regency_code} - 2024"
    stored = store.save_file(io.BytesIO(sample_pdf(title, question.text[:90])))
    register(session, stored)
    session.add(Evidence(answer_id=saved_id(answer.id), sha256=stored.sha256, filename=f"bukti-{question.code}.pdf",
                         uploaded_by=saved_id(user.id)))


def sample_pdf(title: str, body: str) -> bytes:
    """A small, valid one-page PDF with two lines of text (no library needed)."""

    def escape(text: str) -> str:
        text = text.encode("latin-1", "replace").decode("latin-1")
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = (f"BT /F1 14 Tf 50 780 Td ({escape(title)}) Tj ET\n"
              f"BT /F1 10 Tf 50 760 Td ({escape(body)}) Tj ET\n").encode("latin-1")
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
