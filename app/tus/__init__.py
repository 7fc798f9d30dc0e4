"""Resumable uploads over the tus 1.0.0 protocol (issue 25): core, creation, termination, expiration.

Where the rules live:
- `protocol`: the protocol's headers and metadata, the Tus-Resumable header on every answer;
- `service`: who may start, continue, end and read an upload (the plain upload form's own checks, at
  creation and again at the last byte), the hold a PATCH takes, and the hand-over to the store;
- `partials`: the bytes received so far, under `<evidence_dir>/tus/`, never served;
- `expiry`: the job runner's scan and the start-up cleanup of abandoned uploads;
- the routes: `app.routes.tus`; the table: `app.models.uploads`.
"""
