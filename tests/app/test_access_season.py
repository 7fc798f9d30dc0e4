"""Who may do what in the season after the province (app.access), as a matrix over roles and the
assessment's stages. The functions are pure: users are built in memory, no database.

The place is kab/kota a (62.71, province 62) unless a test says otherwise. `on_team` is what the
caller looked up (`app.deps.on_team`): it must open nothing to anyone but a verifier."""

from __future__ import annotations

import itertools

import pytest

from app import access
from app.models import Role, User
from scoring import ASSESSMENT_STAGES, Stage

REGENCY, PROVINCE = "62.71", "62"


def _user(name: str, role: Role, **fields) -> User:
    return User(username=name, full_name=name, password_hash="", role=role, **fields)


USERS = {
    "admin": _user("admin", Role.ADMIN),
    "reviewer": _user("reviewer", Role.REVIEWER, provinces=["62"], organisation="KemenPPPA"),
    "reviewer_both": _user("reviewer_both", Role.REVIEWER, provinces=["63", "62"]),
    "reviewer_other": _user("reviewer_other", Role.REVIEWER, provinces=["63"]),
    "reviewer_none": _user("reviewer_none", Role.REVIEWER, provinces=[]),
    # A reviewer's province code is not its assignment: only `provinces` counts.
    "reviewer_by_code": _user("reviewer_by_code", Role.REVIEWER, province_code="62", provinces=["63"]),
    "verifier": _user("verifier", Role.VERIFIER, organisation="Kemenkes"),
    # `provinces` on any other role gives nothing (a row edited by hand, a role changed later).
    "verifier_with_provinces": _user("verifier_with_provinces", Role.VERIFIER, provinces=["62"]),
    "province": _user("province", Role.PROVINCE, province_code="62"),
    "province_other": _user("province_other", Role.PROVINCE, province_code="63", provinces=["62"]),
    "dp3a_a": _user("dp3a_a", Role.DP3A, province_code="62", regency_code="62.71"),
    "dp3a_b": _user("dp3a_b", Role.DP3A, province_code="62", regency_code="62.01"),
    "opd_a": _user("opd_a", Role.OPD, province_code="62", regency_code="62.71", agency_id=1),
}

S = Stage
ALL = frozenset(ASSESSMENT_STAGES)
SUBMITTED = ALL - {S.SELF}
AFTER_PROVINCE = frozenset({S.MINISTRY, S.FIELD, S.FINAL, S.AWARDED})
FROM_FIELD = frozenset({S.FIELD, S.FINAL, S.AWARDED})
NEVER: frozenset[Stage] = frozenset()

# The stages at which each user may open kab/kota a's review pages, off the field team and on it.
REVIEW = {
    "admin": (SUBMITTED, SUBMITTED),
    "reviewer": (AFTER_PROVINCE, AFTER_PROVINCE),
    "reviewer_both": (AFTER_PROVINCE, AFTER_PROVINCE),
    "reviewer_other": (NEVER, NEVER),
    "reviewer_none": (NEVER, NEVER),
    "reviewer_by_code": (NEVER, NEVER),
    "verifier": (NEVER, FROM_FIELD),
    "verifier_with_provinces": (NEVER, FROM_FIELD),
    "province": (SUBMITTED, SUBMITTED),
    "province_other": (NEVER, NEVER),
    "dp3a_a": (ALL, ALL),
    "dp3a_b": (NEVER, NEVER),
    "opd_a": (NEVER, NEVER),
}
# Sensitive evidence (it can name child victims): as the review pages, never an agency's.
SENSITIVE_EVIDENCE = REVIEW


def _cases(table):
    for (name, (off_team, on_team)), stage in itertools.product(table.items(), ASSESSMENT_STAGES):
        yield pytest.param(name, stage, False, stage in off_team, id=f"{name}-{stage}-off")
        yield pytest.param(name, stage, True, stage in on_team, id=f"{name}-{stage}-on")


def test_the_tables_name_every_user():
    assert set(REVIEW) == set(USERS)


@pytest.mark.parametrize(("name", "stage", "on_team", "expected"), list(_cases(REVIEW)))
def test_may_review(name, stage, on_team, expected):
    assert access.may_review(USERS[name], REGENCY, PROVINCE, stage, on_team) is expected


@pytest.mark.parametrize(("name", "stage", "on_team", "expected"), list(_cases(SENSITIVE_EVIDENCE)))
def test_may_open_sensitive(name, stage, on_team, expected):
    assert access.may_open_sensitive(USERS[name], REGENCY, PROVINCE, stage, on_team) is expected


@pytest.mark.parametrize(("name", "stage", "on_team"),
                         list(itertools.product(USERS, ASSESSMENT_STAGES, (False, True))))
def test_stored_plain_stage_values_decide_the_same(name, stage, on_team):
    user = USERS[name]
    assert (access.may_review(user, REGENCY, PROVINCE, str(stage.value), on_team)
            is access.may_review(user, REGENCY, PROVINCE, stage, on_team))
    assert (access.may_open_sensitive(user, REGENCY, PROVINCE, str(stage.value), on_team)
            is access.may_open_sensitive(user, REGENCY, PROVINCE, stage, on_team))


@pytest.mark.parametrize(("name", "expected_62", "expected_63"), [
    ("admin", True, True),
    ("reviewer", True, False),
    ("reviewer_both", True, True),
    ("reviewer_other", False, True),
    ("reviewer_none", False, False),
    ("reviewer_by_code", False, True),
    ("verifier", False, False),  # a verifier reaches a kab/kota through its team only
    ("verifier_with_provinces", False, False),
    ("province", True, False),
    ("province_other", False, True),
    ("dp3a_a", False, False),
    ("dp3a_b", False, False),
    ("opd_a", False, False),
])
def test_may_see_province(name, expected_62, expected_63):
    assert access.may_see_province(USERS[name], "62") is expected_62
    assert access.may_see_province(USERS[name], "63") is expected_63


@pytest.mark.parametrize(("name", "sees_a", "sees_c"), [
    ("admin", True, True),
    ("reviewer", True, False),
    ("reviewer_both", True, True),
    ("reviewer_other", False, True),
    ("reviewer_none", False, False),
    ("reviewer_by_code", False, True),
    ("verifier", False, False),
    ("verifier_with_provinces", False, False),
    ("province", True, False),
    ("province_other", False, True),
    ("dp3a_a", True, False),
    ("dp3a_b", False, False),
    ("opd_a", False, False),
])
def test_may_oversee(name, sees_a, sees_c):
    assert access.may_oversee(USERS[name], "62.71", "62") is sees_a
    assert access.may_oversee(USERS[name], "63.71", "63") is sees_c


# Field findings marked sensitive (interviews with children): the team and the ministry only.
SENSITIVE_FINDINGS = {  # name: (off the team, on the team)
    "admin": (True, True),
    "reviewer": (True, True),
    "reviewer_both": (True, True),
    "reviewer_other": (False, False),
    "reviewer_none": (False, False),
    "reviewer_by_code": (False, False),
    "verifier": (False, True),
    "verifier_with_provinces": (False, True),
    "province": (False, False),  # not the province, even of its own kab/kota
    "province_other": (False, False),
    "dp3a_a": (False, False),  # not the kab/kota
    "dp3a_b": (False, False),
    "opd_a": (False, False),
}
RECORD_FINDINGS = {
    "admin": (True, True),
    "verifier": (False, True),
    "verifier_with_provinces": (False, True),
} | {name: (False, False) for name in USERS if name not in ("admin", "verifier", "verifier_with_provinces")}


@pytest.mark.parametrize(("name", "on_team"), list(itertools.product(USERS, (False, True))))
def test_may_see_sensitive_findings(name, on_team):
    assert access.may_see_sensitive_findings(USERS[name], PROVINCE, on_team) is SENSITIVE_FINDINGS[name][on_team]


@pytest.mark.parametrize(("name", "on_team"), list(itertools.product(USERS, (False, True))))
def test_may_record_findings(name, on_team):
    assert access.may_record_findings(USERS[name], on_team) is RECORD_FINDINGS[name][on_team]


@pytest.mark.parametrize(("name", "hand_on", "send_back", "run_season"), [
    ("admin", False, True, True),  # the ministry sends back; the province hands on
    ("reviewer", False, True, False),
    ("reviewer_both", False, True, False),
    ("reviewer_other", False, False, False),
    ("reviewer_none", False, False, False),
    ("reviewer_by_code", False, False, False),
    ("verifier", False, False, False),
    ("verifier_with_provinces", False, False, False),
    ("province", True, False, False),
    ("province_other", False, False, False),
    ("dp3a_a", False, False, False),
    ("dp3a_b", False, False, False),
    ("opd_a", False, False, False),
])
def test_moves_and_running_the_season(name, hand_on, send_back, run_season):
    user = USERS[name]
    assert access.may_hand_on(user, PROVINCE) is hand_on
    assert access.may_send_back(user, PROVINCE) is send_back
    assert access.may_run_season(user) is run_season


# The review stage each role decides at, by the assessment's stage (access to the place apart).
DECIDES = {
    Role.ADMIN: {S.MINISTRY: S.MINISTRY, S.FIELD: S.FIELD, S.FINAL: S.FINAL},
    Role.REVIEWER: {S.MINISTRY: S.MINISTRY},
    Role.VERIFIER: {S.FIELD: S.FIELD},
    Role.PROVINCE: {S.PROVINCE: S.PROVINCE},
    Role.DP3A: {S.SELF: S.DP3A},
    Role.OPD: {},
}


@pytest.mark.parametrize(("name", "stage"), list(itertools.product(USERS, ASSESSMENT_STAGES)))
def test_decides_at(name, stage):
    user = USERS[name]
    expected = DECIDES[user.role].get(stage)
    assert access.decides_at(user, stage) == expected
    assert access.decides_at(user, str(stage.value)) == expected  # type: ignore[arg-type]  # a stored value


@pytest.mark.parametrize("name", list(USERS))
def test_nobody_decides_once_the_award_is_published(name):
    assert access.decides_at(USERS[name], Stage.AWARDED) is None


@pytest.mark.parametrize(("name", "stage"), list(itertools.product(USERS, ASSESSMENT_STAGES)))
def test_whoever_decides_at_a_place_may_open_it(name, stage):
    """Deciding needs the review pages: a user assigned to kab/kota a who decides there can open them."""
    user = USERS[name]
    if access.decides_at(user, stage) is None:
        return
    assigned = access.may_review(user, REGENCY, PROVINCE, stage, on_team=True)
    if name in ("admin", "reviewer", "reviewer_both", "verifier", "verifier_with_provinces", "province", "dp3a_a"):
        assert assigned


@pytest.mark.parametrize(("name", "stage", "on_team"),
                         list(itertools.product(USERS, ASSESSMENT_STAGES, (False, True))))
def test_sensitive_evidence_needs_the_review_pages_and_never_reaches_an_agency(name, stage, on_team):
    user = USERS[name]
    opens = access.may_open_sensitive(user, REGENCY, PROVINCE, stage, on_team)
    if opens:
        assert access.may_review(user, REGENCY, PROVINCE, stage, on_team)
    if user.role == Role.OPD:
        assert not opens


@pytest.mark.parametrize(("name", "on_team"), list(itertools.product(USERS, (False, True))))
def test_being_on_a_team_opens_nothing_to_anyone_but_a_verifier(name, on_team):
    user = USERS[name]
    if user.role == Role.VERIFIER:
        return
    for stage in ASSESSMENT_STAGES:
        assert (access.may_review(user, REGENCY, PROVINCE, stage, True)
                is access.may_review(user, REGENCY, PROVINCE, stage, False))
        assert (access.may_open_sensitive(user, REGENCY, PROVINCE, stage, True)
                is access.may_open_sensitive(user, REGENCY, PROVINCE, stage, False))
    assert access.may_see_sensitive_findings(user, PROVINCE, True) is access.may_see_sensitive_findings(
        user, PROVINCE, False)
    assert access.may_record_findings(user, True) is access.may_record_findings(user, False)


def test_a_reviewer_row_without_provinces_reviews_nothing():
    # A row written before the column had its default (or edited by hand): no province, no access.
    user = _user("legacy", Role.REVIEWER)
    user.provinces = None  # type: ignore[assignment]
    assert not access.reviews_province(user, "62")
    assert not access.may_see_province(user, "62")
    assert not access.may_review(user, REGENCY, PROVINCE, Stage.MINISTRY)
    assert not access.may_send_back(user, PROVINCE)


def test_reviews_province_is_for_reviewers_only():
    assert access.reviews_province(USERS["reviewer"], "62")
    assert not access.reviews_province(USERS["reviewer"], "63")
    assert not access.reviews_province(USERS["verifier_with_provinces"], "62")
    assert not access.reviews_province(USERS["province_other"], "62")
    assert not access.reviews_province(USERS["admin"], "62")  # the ministry needs no assignment


@pytest.mark.parametrize("role", list(Role))
def test_every_role_can_be_saved_and_read_back(db, role):
    # PostgreSQL keeps the role as a native enum: a role the migrations did not add cannot be saved.
    user = _user(f"someone_{role.value}", role, provinces=["62"] if role == Role.REVIEWER else [])
    db.add(user)
    db.commit()
    db.expire_all()
    stored = db.get(User, user.id)
    assert stored is not None and stored.role == role
    assert stored.provinces == (["62"] if role == Role.REVIEWER else [])
