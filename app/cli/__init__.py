"""The `kla` command line: check a catalogue, score an answers file, run and operate the app.

One module per group of commands; each command speaks Indonesian or English (`--lang`, default
id or $KLA_LANG) through the web's gettext catalogues (app/i18n.py).
"""

from __future__ import annotations

from app.cli import database, exports, instrument, jobs, operations, season, server  # noqa: F401 (they register the commands)
from app.cli.common import main
from app.cli.database import settings_problem
from app.cli.instrument import catalogue_summary, score_report
from app.cli.server import serve_refusal
from app.loopback import is_loopback

__all__ = ["catalogue_summary", "is_loopback", "main", "score_report", "serve_refusal", "settings_problem"]
