"""Refresh the kecamatan and desa/kelurahan shipped in data/regions/ from a newer npm `idn-area-data`
tarball (ODbL; see data/regions/SOURCE.md):

    npm pack idn-area-data@X.Y.Z            # or download the .tgz from the registry
    python scripts/refresh_areas.py idn-area-data-X.Y.Z.tgz

It writes data/regions/districts.csv.gz and villages.csv.gz exactly as the package's CSV files
(code,regency_code,name and code,district_code,name), gzipped without a time stamp, and prints the
row counts; update the version in SOURCE.md. Kab/kota whose areas are already in a database keep
them (areas are loaded once per kab/kota); a changed code needs a migration of its records.
"""

from __future__ import annotations

import gzip
import sys
import tarfile
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "data" / "regions"
FILES = {"package/data/districts.csv": "districts.csv.gz", "package/data/villages.csv": "villages.csv.gz"}
HEADERS = {"districts.csv.gz": b"code,regency_code,name", "villages.csv.gz": b"code,district_code,name"}


def refresh(tarball: Path, target: Path = TARGET) -> dict[str, int]:
    counts = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for member, name in FILES.items():
            source = archive.extractfile(member)
            if source is None:
                raise SystemExit(f"{tarball}: no {member}")
            data = source.read()
            if not data.startswith(HEADERS[name]):
                raise SystemExit(f"{member}: unexpected columns {data.splitlines()[0]!r}")
            with open(target / name, "wb") as out, gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9,
                                                                  mtime=0, filename="") as packed:
                packed.write(data)
            counts[name] = data.count(b"\n") - 1
    return counts


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for name, rows in refresh(Path(sys.argv[1])).items():
        print(f"{name}: {rows} rows")
