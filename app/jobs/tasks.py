"""Every handler and scan the runner knows: importing this module registers them (one line each)."""

from __future__ import annotations
