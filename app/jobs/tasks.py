"""Every handler and scan the runner knows: importing this module registers them (one line each)."""

from __future__ import annotations

# issue 24, runner:
from app.jobs import deadlines  # noqa: E402, F401 (the answering window and reopenings end at their deadline)
