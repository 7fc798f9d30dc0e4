"""Password hashing with Argon2 (through pwdlib) and the policy for new passwords.

The policy applies whenever a password is set (one's own change, an account created or reset by
the DP3A): at least MIN_LENGTH characters, at most MAX_LENGTH, not one of the 30,000 most
common passwords, and not easy to guess by zxcvbn's estimate (`too_guessable`). The list is the "passwords" frequency list that the zxcvbn package ships (the
most frequent passwords of a public dump of ten million, maintained with zxcvbn); compared without
regard to case. Login accepts the same MAX_LENGTH: a longer entry cannot be anyone's password and
is refused without hashing it. Passwords set before the policy (the demo's, older accounts') still
log in: the policy is checked when a password is set, never at login.
"""

from __future__ import annotations

import secrets
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_hasher = PasswordHash((Argon2Hasher(),))
MIN_LENGTH = 10
MAX_LENGTH = 200
# Lowercase letters and digits without the look-alikes (0/o, 1/l/i): read out over the phone.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password, password_hash)
    except Exception:  # a malformed stored hash is a failed login, not a crash
        return False


@cache
def common_passwords() -> frozenset[str]:
    """Loaded on first use (~30,000 words, a few MB): a worker that never sets a password never pays."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words = FREQUENCY_LISTS["passwords"]
    return frozenset(words.split(",") if isinstance(words, str) else words)


def policy_problem(password: str, username: str = "") -> str | None:
    """What is wrong with a new password, as a code ("too_short", "too_long", "common",
    "same_as_username"), or None."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    if username and password.strip().lower() == username.strip().lower():
        return "same_as_username"
    if password.strip().lower() in common_passwords() or too_guessable(password, username):
        return "common"
    return None


# Words anyone guessing a password here tries first: the app's, the demo's (printed in the README).
APP_WORDS = ("kla", "layak", "anak", "kota", "kabupaten", "dinas", "demo", "demo-kla-2024", "evaluasi", "sandi")
MIN_SCORE = 3  # zxcvbn's "safely unguessable: moderate protection from offline slow-hash attacks"
SCORED_LENGTH = 64  # zxcvbn's matching grows with length; what lies past this only adds strength


def too_guessable(password: str, username: str = "") -> bool:
    """zxcvbn's estimate (repeats, sequences, dates, keyboard patterns, dictionary words with digits,
    "Palangkaraya2024") is below MIN_SCORE, counting the username, its parts and the app's words as
    known to the guesser. The frequency list alone let "aaaaaaaaaa" and "indonesia123" through."""
    from zxcvbn import zxcvbn

    known = [*APP_WORDS, *place_names(), username, *username.replace("_", ".").split(".")]
    score: int = zxcvbn(password[:SCORED_LENGTH], user_inputs=[w for w in known if w])["score"]
    return score < MIN_SCORE


@cache
def place_names() -> tuple[str, ...]:
    """The 38 provinces and 514 kab/kota, as people type them in passwords ("palangkaraya",
    "kotawaringintimur"): a focal point's first idea is its own place and a year."""
    from app.services.regions import read_csv

    names: set[str] = set()
    for row in read_csv("provinces.csv") + read_csv("regencies.csv"):
        name = row["name"].lower().removeprefix("kabupaten ").removeprefix("kota ")
        names.update((name, name.replace(" ", "")))
    return tuple(sorted(names))


def temporary_password() -> str:
    """Three groups of four, e.g. k7mp-2xqa-9fjd: easy to pass on, about 59 bits of chance;
    drawn again in the (theoretical) case that the policy refuses it."""
    while True:
        password = "-".join("".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(3))
        if policy_problem(password) is None:
            return password


# Used to spend the same time on unknown usernames as on known ones.
DUMMY_HASH = hash_password("not-a-real-password")
