"""The daily rollup `rep_days`: kept by each call, removed by forget, backfilled by the migration, and the
leaderboard's figures from it exactly those of counting the calls themselves, for any window."""

import datetime as dt
import random
import uuid

import pytest
from alembic import command
from sqlalchemy import insert, select

from bot.storage.database import Database, alembic_config
from bot.storage.models import Activity, Rep, RepDay, Team
from bot.storage.standings import figures, rebuild_rep_days
from coaching.domain import CONVERSATIONS
from coaching.quality import QualitySettings, RepFigures
from tests.conftest import PG_ADMIN_URL, TEAM, THURSDAY_10_AMS
from tests.test_leaderboard_sql import MON, OTHER, START, read, seeding
from tests.test_leaderboard_sql import TEAM as SEEDED

OUTCOMES = ["no-answer", "voicemail", "busy", "gatekeeper", "connected", "meeting", "callback", "wrong-person"]
ATTEMPTS = [None, *range(1, 13)]


def rows(session, team_id=TEAM):
    """Every rep-day of the workspace, without its team id."""
    found = session.scalars(select(RepDay).where(RepDay.team_id == team_id).order_by(RepDay.user_id, RepDay.day))
    return [
        (r.user_id, r.day, r.dials, r.conversations, r.dm_conversations, r.meetings, r.researched_calls)
        + tuple(getattr(r, f"attempt_{n}") for n in range(2, 11))
        for r in found
    ]


def test_each_call_is_counted_in_its_reps_utc_day_in_the_same_transaction(coachbot, clock):
    coachbot.slash("/call", "Acme BV meeting +research +dm")
    coachbot.slash("/call", "Acme BV no-answer")  # attempt 2 on Acme
    coachbot.slash("/call", "Globex connected")
    coachbot.slash("/call", "Globex no-answer", user="U0ANOUK")
    coachbot.slash("/log", "admin 30 CRM")  # not a call
    clock.set(dt.datetime(2026, 11, 26, 23, 59, 59, tzinfo=dt.UTC))
    coachbot.slash("/call", "Acme BV wrong-person +dm")  # attempt 3, still Thursday in UTC
    clock.set(dt.datetime(2026, 11, 27, 0, 0, tzinfo=dt.UTC))
    coachbot.slash("/call", "Acme BV voicemail")  # attempt 4, Friday in UTC (01:00 in Amsterdam)
    thursday, friday = THURSDAY_10_AMS.date(), dt.date(2026, 11, 27)
    zero = (0,) * 9
    with coachbot.db.transaction() as session:
        assert (
            rows(session)
            == [
                ("U0ANOUK", thursday, 1, 0, 0, 0, 0, 1, *zero[1:]),  # leads are the team's: attempt 2 on Globex
                ("U0SAM", thursday, 4, 3, 2, 1, 1, 1, 1, *zero[2:]),
                ("U0SAM", friday, 1, 0, 0, 0, 0, 0, 0, 1, *zero[3:]),
            ]
        )
        written = rows(session)
        rebuild_rep_days(session, TEAM)
        assert rows(session) == written  # the upserts agree with a recount from the activities


def test_forget_removes_the_reps_days(coachbot):
    coachbot.slash("/call", "Acme BV no-answer")
    coachbot.slash("/call", "Globex no-answer", user="U0ANOUK")
    coachbot.slash("/coach", "forget")
    coachbot.click("coach_forget", "U0SAM")
    with coachbot.db.transaction() as session:
        assert [row[0] for row in rows(session)] == ["U0ANOUK"]


def _brute_force(calls, start, end, cap, target):
    """The figures, counted in Python from the calls' own fields."""
    per_rep = {}
    for user_id, at, outcome, attempt, researched, dm in calls:
        if start <= at < end:
            per_rep.setdefault(user_id, []).append((at, outcome, attempt, researched, dm))
    result = []
    for user_id in sorted(per_rep):
        mine = per_rep[user_id]
        days = {}
        for at, *_ in mine:
            days[at.date()] = days.get(at.date(), 0) + 1
        conversation = [c for c in mine if c[1] in {o.value for o in CONVERSATIONS}]
        result.append(
            RepFigures(
                user_id,
                dials=len(mine),
                capped_dials=sum(min(n, cap) for n in days.values()),
                conversations=len(conversation),
                dm_conversations=sum(1 for c in conversation if c[4]),
                meetings=sum(1 for c in mine if c[1] == "meeting"),
                researched_calls=sum(1 for c in mine if c[3]),
                followup_attempts=sum(1 for c in mine if c[2] is not None and 2 <= c[2] <= target),
            )
        )
    return result


def test_figures_from_the_rollup_equal_counting_every_call_for_any_window(db):
    rng = random.Random(20261126)
    calls = []
    midnights = [START + dt.timedelta(days=d) for d in range(6)]
    with seeding(db) as seed:
        for n in range(600):
            user_id = f"U0REP{n % 4}"
            if n % 25 == 0:  # exactly on a midnight, and a microsecond either side
                at = rng.choice(midnights) + dt.timedelta(microseconds=rng.choice([-1, 0, 1]))
            else:
                at = START + dt.timedelta(seconds=rng.randrange(6 * 86400))
            call = (user_id, at, rng.choice(OUTCOMES), rng.choice(ATTEMPTS), rng.random() < 0.3, rng.random() < 0.4)
            calls.append(call)
            seed.call(user_id, at, call[2], attempt=call[3], research=call[4], dm=call[5])
        seed.call("U0REP0", START + dt.timedelta(days=2), "meeting", team=OTHER, attempt=2)  # another workspace
    hour = dt.timedelta(hours=1)
    windows = [
        (START, START + dt.timedelta(days=6)),  # midnight to midnight
        (START - hour, START + dt.timedelta(days=7)),  # the whole history
        (START + 9.5 * hour, START + dt.timedelta(days=4, hours=17)),  # partial days at both ends
        (START + dt.timedelta(days=1), START + dt.timedelta(days=3, hours=5)),  # partial at the end only
        (START + 23 * hour, START + dt.timedelta(days=3)),  # partial at the start only
        (START + dt.timedelta(days=2, hours=3), START + dt.timedelta(days=2, hours=20)),  # inside one day
        (START + 15 * hour, START + dt.timedelta(days=1, hours=9)),  # over one midnight, no whole day
        (START + dt.timedelta(days=2), START + dt.timedelta(days=3)),  # exactly one day
        (START + dt.timedelta(days=2), START + dt.timedelta(days=2)),  # empty
        (START - dt.timedelta(hours=5, microseconds=1), START + dt.timedelta(days=5, hours=23, microseconds=1)),
    ]
    # A window starting at a rep's local midnight, in a zone with a half-hour offset.
    windows.append((START - dt.timedelta(hours=5, minutes=30), START + dt.timedelta(days=3, hours=18, minutes=30)))
    with read(db) as session:
        for start, end in windows:
            for cap, target in [(5, 6), (40, 10), (1, 2), (3, 1)]:
                got = figures(
                    session, SEEDED, start, end, settings=QualitySettings(daily_dial_cap=cap), target_attempts=target
                )
                assert got == _brute_force(calls, start, end, cap, target), (start, end, cap, target)


@pytest.fixture
def empty_url(database_url, tmp_path):
    """A database of its own on the run's backend, with no schema yet."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    import psycopg

    name = f"salescoach_backfill_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migration_backfills_the_rollup_from_the_calls_already_logged(empty_url):
    db = Database(empty_url)
    try:
        cfg = alembic_config(db.engine)
        command.upgrade(cfg, "0004")
        late = MON + dt.timedelta(hours=23, minutes=30)  # Monday in UTC, Tuesday in most of Europe
        tuesday = MON + dt.timedelta(days=1, hours=9)

        def call(user_id, at, outcome, attempt=None, researched=False, dm=False, kind="call", team=TEAM):
            return {
                "team_id": team, "user_id": user_id, "kind": kind, "started_at": at, "ended_at": at,
                "outcome": outcome, "attempt": attempt, "researched": researched, "decision_maker": dm,
                "note": "", "source": "command", "created_at": at,
            }  # fmt: skip

        with db.transaction() as session:
            for team in (TEAM, OTHER):
                session.execute(insert(Team.__table__).values(id=team, name=team, settings={}, created_at=MON))
            for team, user_id in [(TEAM, "U0SAM"), (TEAM, "U0ANOUK"), (OTHER, "U0SAM")]:
                session.execute(
                    insert(Rep.__table__).values(
                        team_id=team, user_id=user_id, tz="UTC", is_admin=False, created_at=MON
                    )
                )
            session.execute(
                insert(Activity.__table__),
                [
                    call("U0SAM", MON + dt.timedelta(hours=9), "meeting", 1, researched=True, dm=True),
                    call("U0SAM", MON + dt.timedelta(hours=10), "connected", 2, dm=True),
                    call("U0SAM", late, "no-answer", 10),
                    call("U0SAM", late, "gatekeeper", 11, researched=True, dm=True),
                    call("U0SAM", MON + dt.timedelta(hours=12), None, kind="work"),  # not a call
                    call("U0SAM", tuesday, "wrong-person", 3, dm=True),
                    call("U0ANOUK", tuesday, "voicemail", 2),
                    call("U0SAM", tuesday, "meeting", 2, team=OTHER),
                ],
            )
        command.upgrade(cfg, "head")
        monday, tuesday_ = MON.date(), tuesday.date()
        with db.transaction() as session:
            assert rows(session) == [
                ("U0ANOUK", tuesday_, 1, 0, 0, 0, 0, 1, *(0,) * 8),
                ("U0SAM", monday, 4, 2, 2, 1, 2, 1, *(0,) * 7, 1),
                ("U0SAM", tuesday_, 1, 1, 1, 0, 0, 0, 1, *(0,) * 7),
            ]
            assert rows(session, OTHER) == [("U0SAM", tuesday_, 1, 1, 0, 1, 0, 1, *(0,) * 8)]
            backfilled = rows(session) + rows(session, OTHER)
            rebuild_rep_days(session, TEAM)
            rebuild_rep_days(session, OTHER)
            assert rows(session) + rows(session, OTHER) == backfilled
    finally:
        db.dispose()
