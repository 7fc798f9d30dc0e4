"""The job runner: work done away from web requests, once, whichever runner takes it.

`queue` puts a job in the `job` table under a key (the same key twice is one job) and lets a runner
take one (a conditional UPDATE, with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two runners never take
the same job); `runner` runs the periodic scans (each under a PostgreSQL advisory lock: one runner scans
at a time) and the due jobs; `registry` maps a job's kind to its handler and lists the scans.
`kla jobs run [--once]` starts a runner (`app/cli/jobs.py`); `tasks` imports every handler and scan.
"""
