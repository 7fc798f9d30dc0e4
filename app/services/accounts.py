"""Logging in (with throttling of failed attempts), checking one's password, setting a new one.

Throttling: failures are kept per (account, address) as `LoginAttempt` rows (`ok` false) for
WINDOW; a successful login leaves one `ok` row per (account, address), which makes that address
"known" for the account for KNOWN_FOR. A login or a current-password check is refused, with the
minutes to wait, when

- the pair: PAIR_LIMIT (5) failures for this account from this address in the last WINDOW (15 min)
  lock this account at this address until the oldest of them is WINDOW old (at most 15 min).
  Someone guessing from one address gets 5 tries per 15 minutes; the owner elsewhere is unaffected.
- the account: ACCOUNT_LIMIT (20) failures for it from all addresses in the last WINDOW slow every
  address that is not known for the account to one try per ACCOUNT_DELAY (2 min) after the latest
  failure. A guesser with many addresses gets ~20 + 7 tries per 15 minutes; the owner at the office
  or at home (known addresses) is only ever subject to the pair limit.
- the address: ADDRESS_LIMIT (50) failures from it over all accounts in the last WINDOW refuse it
  for the accounts not known there, until they age out. An office behind one address produces far
  fewer; and its staff who have logged in from there before are never refused by this limit,
  whoever mistypes beside them.

Refused attempts are not counted (a flood cannot extend its own lock). A password reset by the
DP3A, or its "lift the lock", clears the account's failures. Only the route commits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_
from sqlmodel import Session, col, select

from app.models import Agency, LoginAttempt, User, saved_id, utcnow
from app.passwords import DUMMY_HASH, hash_password, policy_problem, verify_password
from app.services import audit, sessions

WINDOW = timedelta(minutes=15)
PAIR_LIMIT = 5
ACCOUNT_LIMIT = 20
ACCOUNT_DELAY = timedelta(minutes=2)
ADDRESS_LIMIT = 50
KNOWN_FOR = timedelta(days=90)
MAX_USERNAME = 80
MAX_CLIENT = 64


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    refused: str | None = None  # "invalid", "inactive" or "throttled"
    wait_minutes: int = 0  # when throttled: how long until the next try is accepted
    # When throttled: "account" (its own failures; a reset or the DP3A's unlock lifts it) or
    # "address" (failures of many accounts from this network; only waiting lifts it).
    cause: str = "account"


def authenticate(session: Session, username: str, password: str, client: str) -> LoginResult:
    """Check a login. Writes the attempt (and, on success, the login's audit entry); the route commits."""
    username, client, now = username.strip().lower()[:MAX_USERNAME], client[:MAX_CLIENT], utcnow()
    wait = login_wait(session, username, client, now)
    if wait is not None:
        return LoginResult(None, "throttled", _minutes(wait[0]), wait[1])
    row = session.exec(select(User, Agency).outerjoin(Agency, col(Agency.id) == User.agency_id)
                       .where(User.username == username)).first()
    user, agency = row if row else (None, None)
    valid = verify_password(password, user.password_hash if user else DUMMY_HASH)
    if user is None or not valid:
        session.add(LoginAttempt(username=username, client=client, at=now))
        return LoginResult(None, "invalid")
    if not may_log_in(user, agency):
        # Said only to whoever knows the password: the owner then asks the DP3A instead of retrying.
        return LoginResult(None, "inactive")
    _remember_success(session, username, client, now)
    user.last_login_at = now
    session.add(user)
    audit.record(session, user, "user.login", "user", user.id, regency_code=user.regency_code)
    return LoginResult(user)


def may_log_in(user: User, agency: Agency | None) -> bool:
    """An active account of an active agency (province and ministry accounts have none)."""
    return user.active and (agency is None or agency.active)


def check_current_password(session: Session, user: User, password: str, client: str) -> LoginResult:
    """The current-password check of the change form, throttled and counted like a login."""
    client, now = client[:MAX_CLIENT], utcnow()
    wait = login_wait(session, user.username, client, now)
    if wait is not None:
        return LoginResult(None, "throttled", _minutes(wait[0]), wait[1])
    if not verify_password(password, user.password_hash):
        session.add(LoginAttempt(username=user.username, client=client, at=now))
        return LoginResult(None, "invalid")
    return LoginResult(user)


def login_wait(session: Session, username: str, client: str,
               now: datetime | None = None) -> tuple[timedelta, str] | None:
    """How long this account must wait before trying again from this address, and why ("account":
    its own failures, "address": this network's), or None: it may try."""
    now = now or utcnow()
    rows = session.exec(
        select(LoginAttempt.username, LoginAttempt.client, LoginAttempt.at)
        .where(col(LoginAttempt.ok).is_(False), col(LoginAttempt.at) >= now - WINDOW,
               or_(col(LoginAttempt.username) == username, col(LoginAttempt.client) == client))
    ).all()
    pair = sorted(at for name, address, at in rows if name == username and address == client)
    account = sorted(at for name, _address, at in rows if name == username)
    address = sorted(at for _name, address, at in rows if address == client)
    until: list[tuple[datetime, str]] = []
    if len(pair) >= PAIR_LIMIT:
        until.append((pair[-PAIR_LIMIT] + WINDOW, "account"))
    wide = len(account) >= ACCOUNT_LIMIT or len(address) >= ADDRESS_LIMIT
    if wide and not _known(session, username, client, now):
        if len(account) >= ACCOUNT_LIMIT:
            until.append((account[-1] + ACCOUNT_DELAY, "account"))
        if len(address) >= ADDRESS_LIMIT:
            until.append((address[-ADDRESS_LIMIT] + WINDOW, "address"))
    open_until = [(at, cause) for at, cause in until if at > now]
    if not open_until:
        return None
    latest, cause = max(open_until)
    return latest - now, cause


def locked_minutes(session: Session, usernames: Iterable[str]) -> dict[str, int]:
    """Accounts locked by their failures (at some address or everywhere new), with the minutes left:
    for the DP3A's list of accounts. One query."""
    now = utcnow()
    names = list(usernames)
    if not names:
        return {}
    rows = session.exec(
        select(LoginAttempt.username, LoginAttempt.client, LoginAttempt.at)
        .where(col(LoginAttempt.ok).is_(False), col(LoginAttempt.at) >= now - WINDOW, col(LoginAttempt.username).in_(names))
    ).all()
    by_account: dict[str, dict[str, list[datetime]]] = {}
    for name, address, at in rows:
        by_account.setdefault(name, {}).setdefault(address, []).append(at)
    locked = {}
    for name, addresses in by_account.items():
        until = [sorted(times)[-PAIR_LIMIT] + WINDOW for times in addresses.values() if len(times) >= PAIR_LIMIT]
        every = sorted(at for times in addresses.values() for at in times)
        if len(every) >= ACCOUNT_LIMIT:
            until.append(every[-1] + ACCOUNT_DELAY)
        latest = max(until, default=None)
        if latest is not None and latest > now:
            locked[name] = _minutes(latest - now)
    return locked


def clear_failures(session: Session, username: str) -> None:
    """Lift every lock of the account (a reset, or the DP3A's "lift the lock")."""
    session.execute(delete(LoginAttempt).where(col(LoginAttempt.username) == username, col(LoginAttempt.ok).is_(False)))


def _known(session: Session, username: str, client: str, now: datetime) -> bool:
    """Whether the account has logged in from this address within KNOWN_FOR."""
    return session.exec(
        select(LoginAttempt.id).where(col(LoginAttempt.ok).is_(True), col(LoginAttempt.username) == username,
                                      col(LoginAttempt.client) == client, col(LoginAttempt.at) >= now - KNOWN_FOR)
    ).first() is not None


def _remember_success(session: Session, username: str, client: str, now: datetime) -> None:
    """Clear this pair's failures (not the account's: a guesser elsewhere keeps his count), keep one
    success row for the pair, and prune what no limit looks at any more."""
    session.execute(delete(LoginAttempt).where(
        or_(and_(col(LoginAttempt.username) == username, col(LoginAttempt.client) == client),
            and_(col(LoginAttempt.ok).is_(False), col(LoginAttempt.at) < now - WINDOW),
            col(LoginAttempt.at) < now - KNOWN_FOR)))
    session.add(LoginAttempt(username=username, client=client, at=now, ok=True))


def _minutes(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds() / 60))


def password_problem(new: str, confirm: str, username: str) -> str | None:
    """A code for what is wrong with a new password (app.passwords.policy_problem, or "mismatch"), or None."""
    problem = policy_problem(new, username)
    if problem is None and new != confirm:
        return "mismatch"
    return problem


def set_password(session: Session, user: User, new: str, by: User) -> None:
    """Store a new password that passed `password_problem`; every session of the user ends, the
    changer's own too: a copy of its cookie (the misuse a person changes a password after) must stop
    working. The route gives the changer's browser a new session (`sessions.start`)."""
    user.password_hash = hash_password(new)
    session.add(user)
    sessions.end_all(session, saved_id(user.id))
    audit.record(session, by, "user.password", "user", user.id, regency_code=user.regency_code)
