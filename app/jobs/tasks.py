"""Every handler and scan the runner knows: importing this module registers them (one line each)."""

from __future__ import annotations

from app.exports import national_job  # noqa: F401 (the national workbook for the ministry)
from app.jobs import deadlines  # noqa: F401 (the answering window and reopenings end at their deadline)
from app.notices import digest, plan, smtp  # noqa: F401 (e-mail: the "email" handler and the reminder scans)
from app.tus import expiry  # noqa: F401,E402 (issue 25, tus: abandoned resumable uploads are removed)
