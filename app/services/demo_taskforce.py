"""Demo: the Gugus Tugas of Kota Palangka Raya for 2025 (issue 24, item 1).

Its SK is the Perwal on the Gugus Tugas in the cycle's library; Bappeda chairs it, the DP3A runs the
secretariat; the demo agencies' accounts coordinate the clusters (Dinkes Klaster III) and the switch
is on. The other clusters' coordinators have passed what reached them (so the DP3A's queue is full);
Dinkes, as coordinator of Klaster III, is still at work: it has approved one submitted answer (now in
the DP3A's queue), returned another to its agency with a reason and a note (waiting for the fix), and
left the rest waiting at its desk."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.deps import Place
from app.models import Agency, Answer, AnswerStatus, Document, Evidence, ReviewAction, User
from app.services import review as review_service
from app.services.answers import is_answered, submit
from app.services.taskforce.team import save_team
from indicators import Catalogue
from scoring import Stage

SK_FILE = "perwal-14-2023-gugus-tugas.pdf"  # demo_documents' library
# Part -> the demo account that coordinates it (FOCUS_AGENCIES in demo.py); KD (Kelana/Dekela) has none.
COORDINATORS = {"KL": "bappeda.palangkaraya", "K1": "dukcapil.palangkaraya", "K2": "dinsos.palangkaraya",
                "K3": "dinkes.palangkaraya", "K4": "disdik.palangkaraya", "K5": "polres.palangkaraya"}
CHAIR_NAME = "Kepala Bappedalitbang Kota Palangka Raya"
WAITING = 6  # Klaster III answers sent to Dinkes's desk: two decided here, four left for a coordinator to open
RETURN_NOTE = "Lampirkan laporan cakupan yang ditandatangani kepala dinas, bukan draf."


def build_team(session: Session, catalogue: Catalogue, place: Place, dp3a: User) -> None:
    assessment = place.assessment
    agencies = {a.role_code: a for a in session.exec(select(Agency).where(Agency.regency_code == place.regency.code))}
    users = {u.username: u for u in session.exec(select(User).where(col(User.username).in_(COORDINATORS.values())))}
    sk = session.exec(select(Document).where(Document.assessment_id == assessment.id, Document.filename == SK_FILE,
                                             col(Document.removed_at).is_(None))).first()
    save_team(session, assessment, catalogue, dp3a, {
        "sk_document_id": sk.id if sk is not None else None,
        "chair_agency_id": agencies["BAPPEDA"].id, "chair_name": CHAIR_NAME,
        "secretariat_agency_id": agencies["DP3A"].id, "coordinator_review": True,
        "coordinators": {part: users[name].id for part, name in COORDINATORS.items() if name in users}})
    session.flush()
    _others_passed(session, catalogue, place, {part: users[name] for part, name in COORDINATORS.items()
                                               if name in users and part != "K3"})
    coordinator = users["dinkes.palangkaraya"]
    approve, send_back = _waiting_answers(session, catalogue, place, coordinator)[:2]
    review_service.decide(session, assessment, approve, Stage.CLUSTER, ReviewAction.APPROVED, coordinator)
    review_service.decide(session, assessment, send_back, Stage.CLUSTER, ReviewAction.RETURNED, coordinator,
                          reasons=[catalogue.review_reasons[0].code], note=RETURN_NOTE,
                          known_reasons={r.code for r in catalogue.review_reasons})


def _waiting_answers(session: Session, catalogue: Catalogue, place: Place, agency_user: User) -> list[Answer]:
    """WAITING answers of Klaster III at Dinkes's desk (two to decide on, the rest left waiting): submitted
    ones with their files, else drafts the agency submits now (those whose question needs no file, or has one)."""
    with_files = set(session.exec(select(Evidence.answer_id).join(Answer).where(
        Answer.assessment_id == place.assessment.id, col(Evidence.removed_at).is_(None))))
    mine: list[Answer] = []
    for answer in session.exec(select(Answer).where(Answer.assessment_id == place.assessment.id)
                               .order_by(col(Answer.id))):
        ref = catalogue.questions.get(answer.question_code)
        if (ref is None or ref.part.code != "K3" or ref.question.sensitive or not is_answered(answer)
                or "DINKES" not in ref.question.agencies
                or (ref.question.evidence.required and answer.id not in with_files)):
            continue
        mine.append(answer)
    mine.sort(key=lambda a: a.status != AnswerStatus.SUBMITTED)  # the submitted ones first
    chosen = mine[:WAITING]
    drafts = [a for a in chosen if a.status != AnswerStatus.SUBMITTED]
    if drafts:
        submit(session, place.assessment, drafts, agency_user)
    return chosen


def _others_passed(session: Session, catalogue: Catalogue, place: Place, coordinators: dict[str, User]) -> None:
    """Each other coordinator approves the answers of its part that reached it (submitted, not yet decided by
    the DP3A), not the sensitive ones."""
    for answer in session.exec(select(Answer).where(Answer.assessment_id == place.assessment.id,
                                                    Answer.status == AnswerStatus.SUBMITTED)
                               .order_by(col(Answer.id))):
        ref = catalogue.questions.get(answer.question_code)
        if ref is None or ref.question.sensitive or ref.part.code not in coordinators:
            continue
        review_service.decide(session, place.assessment, answer, Stage.CLUSTER, ReviewAction.APPROVED,
                              coordinators[ref.part.code])
