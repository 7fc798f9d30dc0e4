"""Every handler and scan the runner knows: importing this module registers them (one line each)."""

from __future__ import annotations

# issue 24, surel: e-mail (the "email" handler and the scans that plan reminders)
from app.notices import digest, plan, smtp  # noqa: E402,F401
