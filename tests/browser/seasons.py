"""A live (not frozen) cycle of a test's own, on the live server's database.

The demo publishes its 2024 season (frozen: nothing in it can be answered or decided any more) and
opens 2025 for Kota Palangka Raya (answering) and Kabupaten Pulang Pisau (at the province, issue 24).
A browser test that needs another kab/kota still answering,
or handed to the province, prepares that state itself, in a year of its own, through the app's models
and services: the year's cycle (the catalogue's instrument), the kab/kota's assessment with its
default assignments, its 2024 answers given again by its DP3A (`save_answer`, with the same files)
and submitted (`submit`), and, for the province stage, checked by the DP3A and handed over
(`season.move`). The demo is left as it is.

Each test file uses its own kab/kota and year, so the files do not meet (year 2031 is another test's).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.db import make_engine
from app.models import (
    Agency,
    Answer,
    AnswerStatus,
    Assessment,
    Cycle,
    Evidence,
    Regency,
    ReviewAction,
    ReviewEvent,
    Role,
    User,
    saved_id,
)
from app.passwords import hash_password
from app.services import cycles, documents, season
from app.services.answers import AnswerInput, is_answered, save_answer, submit
from app.services.setup import default_agencies, open_assessment
from scoring import Move, Scorer, Stage
from tests.browser.helpers import PASSWORD


def live_database_url(tmp_path_factory) -> str:
    """The SQLite file of the `live_server` fixture: it sits in the one kla-live* folder of this
    session's temporary directory (the fixture yields only the address, not its data folder)."""
    found = sorted({(folder / "kla.sqlite3").resolve() for folder in tmp_path_factory.getbasetemp().glob("kla-live*")
                    if (folder / "kla.sqlite3").exists()})  # kla-live0, and pytest's kla-livecurrent link to it
    assert len(found) == 1, f"expected the one database of the live server, found {found}"
    return f"sqlite:///{found[0]}"


def assessment_of(session: Session, regency_code: str, year: int) -> Assessment:
    return session.exec(select(Assessment).join(Cycle, col(Cycle.id) == Assessment.cycle_id)
                        .where(Cycle.year == year, Assessment.regency_code == regency_code)).one()


def newest_year(url: str, regency_code: str) -> int:
    """The newest cycle of a kab/kota (where its people land after logging in)."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return max(session.exec(select(Cycle.year).join(Assessment, col(Assessment.cycle_id) == Cycle.id)
                                    .where(Assessment.regency_code == regency_code)).all())
    finally:
        engine.dispose()


def live_cycle(url: str, catalogue, regency_code: str, year: int, stage: Stage = Stage.SELF, *,
               from_year: int | None = None) -> None:
    """Open `year` for the kab/kota with its answers of `from_year` (the catalogue's year: the demo's
    published season) given again and submitted by its DP3A; at `Stage.PROVINCE`, checked by the DP3A
    and handed over. Idempotent: a second call finds the assessment made and changes nothing."""
    assert stage in (Stage.SELF, Stage.PROVINCE), stage
    engine = make_engine(url)
    scorer = Scorer(catalogue)
    try:
        with Session(engine, expire_on_commit=False) as session:
            cycle = cycles.ensure_year(session, catalogue, year)
            assert cycle.published_at is None
            regency = session.get(Regency, regency_code)
            assert regency is not None, regency_code
            default_agencies(session, regency, catalogue)
            assessment = open_assessment(session, regency, cycle, catalogue)
            if session.exec(select(Answer).where(Answer.assessment_id == assessment.id)).first() is not None:
                session.commit()
                return
            dp3a = session.exec(select(User).where(User.regency_code == regency_code, User.role == Role.DP3A)
                                .order_by(col(User.id))).first()
            assert dp3a is not None, f"the demo has no DP3A account for {regency_code}"
            before = assessment_of(session, regency_code, from_year or catalogue.year)
            given = [a for a in session.exec(select(Answer).where(Answer.assessment_id == before.id)
                                             .order_by(col(Answer.question_code))) if is_answered(a)]
            assert given, f"{regency_code} answered nothing in {from_year or catalogue.year}"
            answers = []
            for old in given:
                saved = save_answer(session, assessment, old.question_code,
                                    AnswerInput(option=old.option, value=old.value, note=old.note,
                                                not_applicable=old.not_applicable),
                                    0, dp3a, scorer, current=None).answer
                for file in session.exec(select(Evidence).where(Evidence.answer_id == old.id,
                                                                col(Evidence.removed_at).is_(None))):
                    documents.link(session, saved_id(saved.id),
                                   documents.library_document(session, saved_id(assessment.id), file.sha256,
                                                              file.filename, dp3a), dp3a, file.filename)
                answers.append(saved)
            session.flush()
            submit(session, assessment, answers, dp3a)
            if stage == Stage.PROVINCE:
                for answer in answers:  # the DP3A checked every answer before handing the assessment over
                    session.add(ReviewEvent(answer_id=saved_id(answer.id), stage=Stage.DP3A,
                                            action=ReviewAction.APPROVED, user_id=saved_id(dp3a.id)))
                    answer.status = AnswerStatus.APPROVED
                    session.add(answer)
                session.flush()
                season.move(session, assessment, Move.SUBMIT, dp3a)
            session.commit()
    finally:
        engine.dispose()


def agency_account(url: str, regency_code: str, role_code: str, username: str) -> None:
    """An operator account for one agency of the kab/kota (as its DP3A would add on its accounts page)."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            if session.exec(select(User).where(User.username == username)).first() is not None:
                return
            agency = session.exec(select(Agency).where(Agency.regency_code == regency_code,
                                                       Agency.role_code == role_code).order_by(col(Agency.id))).first()
            regency = session.get(Regency, regency_code)
            assert agency is not None and regency is not None
            session.add(User(username=username, full_name=f"Operator {role_code} {regency.name}", role=Role.OPD,
                             regency_code=regency_code, agency_id=agency.id, password_hash=hash_password(PASSWORD)))
            session.commit()
    finally:
        engine.dispose()
