"""The demo's action plan (RAD KLA) of Kota Palangka Raya for 2025: a dozen activities over several
clusters, carried out by the agencies that have demo accounts, with budgets, and progress reported
by those agencies' own accounts (some finished with an evidence PDF uploaded into the library, some
ongoing, one delayed, the rest still planned). Written through the same services as the pages, so
every step is audited as a person's would be. Runs once, on a fresh 2025 (`build_demo`).
"""

from __future__ import annotations

import io
from decimal import Decimal

from sqlmodel import Session, select

from app.deps import Place
from app.evidence import EvidenceStore
from app.models import Agency, DocumentKind, RadStatus, Role, User, saved_id
from app.services import documents, library
from app.services.library import LibraryView
from app.services.taskforce import rad
from indicators import Catalogue

# (indicator, activity, target, agency role, budget in rupiah, reports: (status, progress, realised, note, pdf?))
Report = tuple[RadStatus, int, int | None, str, bool]
PLAN: tuple[tuple[str, str, str, str, int | None, tuple[Report, ...]], ...] = (
    ("2", "Rapat koordinasi Gugus Tugas KLA per triwulan", "4 rapat", "BAPPEDA", 48_000_000, (
        (RadStatus.ONGOING, 25, 12_000_000, "Rapat triwulan I terlaksana.", False),
        (RadStatus.ONGOING, 50, 24_000_000, "Rapat triwulan II terlaksana, notulen terlampir.", True))),
    ("2", "Penyusunan RAD KLA 2025-2029", "1 dokumen RAD", "BAPPEDA", 75_000_000, (
        (RadStatus.DONE, 100, 72_500_000, "Dokumen RAD ditetapkan dengan Perwal.", True),)),
    ("4", "Pelayanan akta kelahiran keliling di sekolah dan posyandu", "2.500 akta", "DUKCAPIL", 35_000_000, (
        (RadStatus.ONGOING, 40, 12_000_000, "1.000 akta terbit sampai Juni.", False),)),
    ("4", "Kartu Identitas Anak (KIA) untuk anak usia 0-17 tahun", "10.000 KIA", "DUKCAPIL", 60_000_000, (
        (RadStatus.DONE, 100, 58_750_000, "Target tercapai, 10.412 KIA diterbitkan.", True),)),
    ("7", "Sosialisasi pencegahan perkawinan anak di KUA", "30 kelurahan", "KEMENAG", 25_000_000, (
        (RadStatus.DELAYED, 15, 3_500_000, "Anggaran perubahan belum cair; dijadwalkan ulang Oktober.", False),)),
    ("9", "Penguatan PAUD Holistik Integratif", "40 PAUD", "DISDIK", 90_000_000, ()),
    ("12", "Kelas ibu hamil di seluruh puskesmas", "11 puskesmas", "DINKES", 40_000_000, (
        (RadStatus.ONGOING, 30, 10_000_000, "Berjalan di 4 puskesmas.", False),
        (RadStatus.DONE, 100, 38_900_000, "Semua puskesmas melaksanakan kelas ibu hamil.", True))),
    ("13", "Pemantauan status gizi balita di posyandu", "209 posyandu", "DINKES", 55_000_000, (
        (RadStatus.ONGOING, 60, 30_250_000, "Bulan penimbangan Februari dan Agustus selesai.", False),)),
    ("14", "Pelatihan konseling PMBA bagi kader", "120 kader", "DINKES", 30_000_000, ()),
    ("19", "Pendampingan Sekolah Ramah Anak", "25 sekolah", "DISDIK", 65_000_000, (
        (RadStatus.ONGOING, 45, 25_000_000, "Pendampingan tahap pertama di 12 sekolah.", False),)),
    ("21A", "Sosialisasi pencegahan TPPO dan kekerasan terhadap anak", "15 sekolah", "POLRES", 20_000_000, (
        (RadStatus.DONE, 100, 19_400_000, "Bersama Kejaksaan dan Forum Anak.", True),)),
    ("21B", "Rumah aman dan pendampingan anak korban kekerasan", "layanan 24 jam", "DINSOS", 120_000_000, (
        (RadStatus.ONGOING, 35, 40_000_000, "", False),)),
)


def _sample_pdf(title: str, body: str) -> bytes:
    from app.services.demo import sample_pdf  # here: app.services.demo imports this module

    return sample_pdf(title, body)


def build_rad(session: Session, catalogue: Catalogue, store: EvidenceStore, place: Place, dp3a: User) -> None:
    """The plan, as the DP3A enters it, and the reports, each by its agency's account."""
    agencies = {a.role_code: a for a in session.exec(select(Agency).where(Agency.regency_code == place.regency.code))}
    accounts = {u.agency_id: u for u in session.exec(select(User).where(User.regency_code == place.regency.code,
                                                                         User.role == Role.OPD))}
    for code, title, target, role, budget, reports in PLAN:
        agency = agencies[role]
        data = rad.ActivityData(code, title, target, saved_id(agency.id), place.cycle.year,
                                Decimal(budget) if budget is not None else None)
        activity, _new = rad.add(session, place, dp3a, data)
        reporter = accounts.get(agency.id, dp3a)
        for status, progress, realised, note, with_pdf in reports:
            document_id = None
            if with_pdf:
                document_id = _evidence(session, catalogue, store, place, reporter, title, note)
            rad.report(session, place, reporter, activity,
                       rad.ReportData(status, progress, Decimal(realised) if realised is not None else None, note),
                       document_id)
    session.flush()


def _evidence(session: Session, catalogue: Catalogue, store: EvidenceStore, place: Place, user: User, title: str,
              note: str) -> int:
    """A report's evidence, uploaded into the library as the agency's account would upload it."""
    stored = store.save_file(io.BytesIO(_sample_pdf(f"Laporan kegiatan RAD KLA: {title}", note)))
    view = LibraryView(session, catalogue, user, place)
    name = "laporan-" + "-".join(title.lower().split()[:4]) + ".pdf"
    document = library.upload(session, view, stored, name, store.path_for(stored.sha256))
    described = documents.MetadataInput(kind=DocumentKind.REPORT.value, title=f"Laporan kegiatan: {title}",
                                        year=str(place.cycle.year), issuer=_agency_name(session, user))
    documents.update_metadata(session, place, user, document, described, may_change=True)  # as the agency describes it
    return saved_id(document.id)


def _agency_name(session: Session, user: User) -> str:
    agency = session.get(Agency, user.agency_id) if user.agency_id is not None else None
    return agency.name if agency is not None else ""
