"""`kla jobs run` as a real process, with one job kind more for the tests: `test.note` appends
"<job id> <pid>" to the file named by KLA_TEST_JOBS_LOG and sleeps a little (so that two runners
started together both get work). `python -m tests.web.jobs_cli jobs run --once`."""

from __future__ import annotations

import os
import sys
import time

from app.cli import main
from app.jobs.registry import handler


@handler("test.note", lease_seconds=60)
def note(context, job):  # noqa: ANN001, ANN201
    with open(os.environ["KLA_TEST_JOBS_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{job.id} {os.getpid()}\n")
    time.sleep(float(job.payload.get("sleep", 0.05)))
    return {"pid": os.getpid()}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prog_name="kla"))
