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

Each stage decides only while the assessment stands where it decides (`stage_open`): the province's
decisions lock when it hands the assessment on to the ministry, and open again when the ministry
sends it back; once the award list is published nothing changes (`check_not_frozen`).

The package: `state` (what the pages read, cached per revision, and the queue), `decisions`
(deciding, reopening, the hand-back of a fix), `submission` (the hand-over to the province,
scores per stage) and `moves` (the province's hand-on, the ministry's send-back). Callers import
from here.
"""

from __future__ import annotations

from app.services.review.decisions import (
    REOPEN_HOURS,
    SCORE_STEP,
    ReviewError,
    check_not_frozen,
    decide,
    desk_stage,
    handed_back,
    last_decision,
    mark_seen,
    reopen,
    score_ceiling,
    stage_open,
    submitted_for,
    unchanged_since_returned,
)
from app.services.review.moves import (
    MoveError,
    SeasonMoves,
    hand_on,
    province_waiting,
    season_moves,
    send_back,
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
    "REOPEN_HOURS",
    "SCORE_STEP",
    "KabKotaMenu",
    "MoveError",
    "QueueItem",
    "ReviewError",
    "ReviewState",
    "SeasonMoves",
    "StageScores",
    "SubmissionCheck",
    "check_not_frozen",
    "check_submission",
    "decide",
    "desk_stage",
    "hand_on",
    "handed_back",
    "kab_kota_menu",
    "last_decision",
    "load_state",
    "mark_seen",
    "new_submissions_since",
    "province_waiting",
    "queue",
    "reopen",
    "score_ceiling",
    "season_moves",
    "send_back",
    "stage_open",
    "submitted_for",
    "stage_scores",
    "submit_assessment",
    "unchanged_since_returned",
]
