"""Review: decisions per stage, the queue, reopening, and the scores each stage stands behind.

The DP3A reviews at stage "dp3a" while the kab/kota answers; once it submits
the assessment, the province reviews at stage "province" with its own
decisions and its own scores. Decisions are review events: appended, never
edited, so the history of every answer is the list of its events.

The answer's status is what the kab/kota sees: the latest decision at any stage
("returned" by the DP3A or by the province). A return leaves the answer editable:

- before the hand-over, while the answering window is open (the DP3A's rules);
- after it, only through a reopening: a return at a later stage (province,
  ministry) opens one itself, for REOPEN_HOURS (2x24 h), with the return's note,
  unless one is open already. When the window ends before the fix, the answer
  stays "returned" and read-only until a verifier reopens it.

The kab/kota fixes the answer, its note and its files (an upload alone never
sends it back), then submits it: that ends the window (`handed_back`) and puts
the answer back in the verifier's queue, marked as changed. An answer has at
most one open window (`reopen` refuses a second, and needs a note).

The package: `state` (what the pages read, cached per revision, and the queue), `decisions`
(deciding, reopening, the hand-back of a fix) and `submission` (the hand-over to the province,
scores per stage). Callers import from here.
"""

from __future__ import annotations

from app.services.review.decisions import (
    PREVIOUS_STAGE,
    REOPEN_HOURS,
    SCORE_STEP,
    ReviewError,
    decide,
    handed_back,
    last_decision,
    mark_seen,
    reopen,
    score_ceiling,
    stage_of,
    stage_open,
    unchanged_since_returned,
)
from app.services.review.state import QueueItem, ReviewState, load_state, queue
from app.services.review.submission import (
    KabKotaMenu,
    StageScores,
    SubmissionCheck,
    check_submission,
    kab_kota_menu,
    new_submissions_since,
    stage_scores,
    submit_assessment,
)

__all__ = [
    "PREVIOUS_STAGE",
    "REOPEN_HOURS",
    "SCORE_STEP",
    "KabKotaMenu",
    "QueueItem",
    "ReviewError",
    "ReviewState",
    "StageScores",
    "SubmissionCheck",
    "check_submission",
    "decide",
    "handed_back",
    "kab_kota_menu",
    "last_decision",
    "load_state",
    "mark_seen",
    "new_submissions_since",
    "queue",
    "reopen",
    "score_ceiling",
    "stage_of",
    "stage_open",
    "stage_scores",
    "submit_assessment",
    "unchanged_since_returned",
]
