"""Load the 38 provinces and 514 kabupaten/kota (Kemendagri codes) into the database."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlmodel import Session, select

from app.models import Province, Regency

REGIONS_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "regions"


def read_csv(name: str) -> list[dict[str, str]]:
    with (REGIONS_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_regions(session: Session, province_codes: set[str] | None = None) -> tuple[int, int]:
    """Insert missing provinces and kab/kota (all, or only those of `province_codes`).

    Returns how many of each are in the database afterwards. The caller commits.
    """
    known_provinces = set(session.exec(select(Province.code)).all())
    known_regencies = set(session.exec(select(Regency.code)).all())
    for row in read_csv("provinces.csv"):
        if (province_codes is None or row["code"] in province_codes) and row["code"] not in known_provinces:
            session.add(Province(code=row["code"], name=row["name"]))
    session.flush()
    for row in read_csv("regencies.csv"):
        wanted = province_codes is None or row["province_code"] in province_codes
        if wanted and row["code"] not in known_regencies:
            session.add(Regency(code=row["code"], province_code=row["province_code"], name=row["name"]))
    session.flush()
    return len(session.exec(select(Province.code)).all()), len(session.exec(select(Regency.code)).all())
