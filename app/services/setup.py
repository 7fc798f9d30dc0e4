"""Set a kab/kota up for a cycle: its agencies, its assessment and who answers what."""

from __future__ import annotations

from sqlalchemy import insert
from sqlmodel import Session, select

from app.models import Agency, Assessment, Assignment, Cycle, Regency, saved_id
from app.services import audit
from app.services.administration import KECAMATAN_ROLE
from indicators import Catalogue

COORDINATOR_ROLE = "DP3A"


def ensure_cycle(session: Session, catalogue: Catalogue) -> Cycle:
    info = catalogue.data.instrument
    cycle = session.exec(select(Cycle).where(Cycle.year == info.year)).first()
    if cycle is None:
        cycle = Cycle(year=info.year, instrument_code=info.code, instrument_version=info.version)
        session.add(cycle)
        session.flush()
    return cycle


def default_agencies(session: Session, regency: Regency, catalogue: Catalogue) -> list[Agency]:
    """One agency per generic role of the catalogue, named after the region.

    The DP3A renames them to the region's own names (DP3APPKB, DPPKBPA3PM...).
    """
    existing = {a.role_code: a for a in session.exec(select(Agency).where(Agency.regency_code == regency.code))}
    created = []
    for role in catalogue.data.agencies:
        if role.code in existing or role.code == KECAMATAN_ROLE:  # one per kecamatan, made by the DP3A
            continue
        short = role.aliases[0] if role.aliases else role.code
        agency = Agency(regency_code=regency.code, role_code=role.code, short_name=short[:40],
                        name=agency_name(role.name, regency.name))
        session.add(agency)
        created.append(agency)
    session.flush()
    return created


def agency_name(role_name: str, regency_name: str) -> str:
    """"Kantor Kementerian Agama Kabupaten/Kota" in Kota Palangkaraya is "... Kota Palangkaraya"."""
    generic = " Kabupaten/Kota"
    base = role_name[: -len(generic)] if role_name.endswith(generic) else role_name
    return f"{base} {regency_name}"[:200]


def open_assessment(session: Session, regency: Regency, cycle: Cycle, catalogue: Catalogue) -> Assessment:
    """The assessment of `regency` in `cycle`, created with default assignments if new."""
    assessment = session.exec(
        select(Assessment).where(Assessment.cycle_id == cycle.id, Assessment.regency_code == regency.code)
    ).first()
    if assessment is not None:
        return assessment
    assessment = Assessment(cycle_id=saved_id(cycle.id), regency_code=regency.code)
    session.add(assessment)
    session.flush()
    agencies = session.exec(select(Agency).where(Agency.regency_code == regency.code, Agency.active)).all()
    by_role: dict[str, list[Agency]] = {}
    for agency in agencies:
        by_role.setdefault(agency.role_code, []).append(agency)
    coordinator = by_role.get(COORDINATOR_ROLE, [])
    rows = []
    for ref in catalogue.iter_questions():
        answering = [a for role in ref.question.agencies for a in by_role.get(role, [])]
        # Questions whose agencies have no office here fall to the DP3A, which enters the data.
        for agency_id in dict.fromkeys(a.id for a in (answering or coordinator)):
            rows.append({"assessment_id": assessment.id, "question_code": ref.question.code, "agency_id": agency_id})
    if rows:  # some 600 rows per kab/kota: one executemany, not one ORM object each
        session.execute(insert(Assignment), rows)
    audit.record(session, None, "assessment.open", "assessment", assessment.id, regency_code=regency.code,
                 after={"cycle": cycle.year})
    session.flush()
    return assessment
