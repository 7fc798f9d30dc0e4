"""Sessions kept on the server, so that they can be ended.

The signed session cookie carries a random token (`sid`); the database keeps one `UserSession`
row per token, keyed by its SHA-256. `app.deps` checks the row in the same query that loads the
user on every request: no row, an expired one, an inactive account or an inactive agency, and the
request is anonymous. Ending a session deletes its row, so a copied cookie stops working at once.

A session lasts `session_hours` from login (not from the last request: that would be one write per
request); expired rows are pruned at every login. Like every service, nothing here commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlmodel import Session, col

from app.models import User, UserSession, saved_id, utcnow

COOKIE_KEY = "sid"


def token_key(token: object) -> str | None:
    """The row id of a cookie's token (None for anything that is not a token we could have made)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, hours: int) -> str:
    """A new session for `user`; returns the token for the cookie. Prunes expired rows."""
    now = utcnow()
    session.execute(delete(UserSession).where(col(UserSession.expires_at) <= now))
    token = secrets.token_urlsafe(32)
    key = token_key(token)
    assert key is not None  # a token we made
    session.add(UserSession(id=key, user_id=saved_id(user.id), created_at=now,
                            expires_at=now + timedelta(hours=hours)))
    return token


def end(session: Session, token: object) -> None:
    """Log this browser out (nothing happens for an unknown or missing token)."""
    key = token_key(token)
    if key is not None:
        session.execute(delete(UserSession).where(col(UserSession.id) == key))


def end_all(session: Session, user_id: int) -> None:
    """End every session of a user (a password set, an account deactivated)."""
    session.execute(delete(UserSession).where(col(UserSession.user_id) == user_id))


def end_agency(session: Session, agency_id: int) -> None:
    """End the sessions of every account of an agency (the agency was deactivated)."""
    members = select(col(User.id)).where(col(User.agency_id) == agency_id).scalar_subquery()
    session.execute(delete(UserSession).where(col(UserSession.user_id).in_(members)))

