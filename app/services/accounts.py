"""Logging in (with throttling of failed attempts), accounts and passwords."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from app.models import LoginAttempt, User, utcnow
from app.passwords import DUMMY_HASH, MIN_LENGTH, hash_password, verify_password
from app.services import audit

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 30


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    refused: str | None = None  # "invalid" or "throttled"


def authenticate(session: Session, username: str, password: str, client: str) -> LoginResult:
    username = username.strip().lower()
    if _throttled(session, username, client):
        return LoginResult(None, "throttled")
    user = session.exec(select(User).where(User.username == username)).first()
    valid = verify_password(password, user.password_hash if user else DUMMY_HASH)
    if user is None or not valid or not user.active:
        session.add(LoginAttempt(username=username[:80], client=client[:64]))
        session.commit()
        return LoginResult(None, "invalid")
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    user.last_login_at = utcnow()
    session.add(user)
    audit.record(session, user, "user.login", "user", user.id, regency_code=user.regency_code)
    session.commit()
    return LoginResult(user)


def _throttled(session: Session, username: str, client: str) -> bool:
    since = utcnow() - WINDOW
    by_user = session.exec(
        select(func.count(LoginAttempt.id)).where(LoginAttempt.username == username, LoginAttempt.at >= since)
    ).one()
    if by_user >= MAX_FAILURES_PER_USER:
        return True
    by_client = session.exec(
        select(func.count(LoginAttempt.id)).where(LoginAttempt.client == client, LoginAttempt.at >= since)
    ).one()
    return by_client >= MAX_FAILURES_PER_CLIENT


def password_problem(new: str, confirm: str, username: str) -> str | None:
    """A code for what is wrong with a new password, or None."""
    if len(new) < MIN_LENGTH:
        return "too_short"
    if new != confirm:
        return "mismatch"
    if new.lower() == username.lower():
        return "same_as_username"
    return None


def set_password(session: Session, user: User, new: str, by: User) -> None:
    """Store a new password; every other session of the user ends."""
    user.password_hash = hash_password(new)
    user.session_version += 1
    session.add(user)
    audit.record(session, by, "user.password", "user", user.id, regency_code=user.regency_code)
    session.commit()
