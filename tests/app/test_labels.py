"""State names the templates show come translated in both languages, for every state."""

from __future__ import annotations

import pytest

from app.i18n import current_language
from app.labels import returned_by_label, stage_label
from scoring import Stage


@pytest.mark.parametrize("stage", list(Stage))
def test_every_stage_has_an_indonesian_name_and_an_english_one(stage):
    token = current_language.set("id")
    try:
        indonesian = (stage_label(stage), returned_by_label(stage))
    finally:
        current_language.reset(token)
    token = current_language.set("en")
    try:
        english = (stage_label(stage), returned_by_label(stage))
    finally:
        current_language.reset(token)
    # The catalogue translates each (a marker Babel does not extract stays English on Indonesian pages).
    assert indonesian[0] != english[0] and indonesian[1] != english[1]
    assert returned_by_label(stage.value) == returned_by_label(stage)  # a stored plain value too
