"""The rep's day a process remembers for the tip (bot.usecases.tips.RepDays), on SQLite and PostgreSQL.

After each entry the remembered day must equal a fresh read of the database, whoever changed it: this process,
another process (a second `Database` on the same database keeps its own memory, as a second worker does), a
correction or removal in HubSpot, or a rep forgotten and seen again at the same instant. In the one case where the
entry just written is the only change, no activity is read at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from bot.storage.database import Database
from bot.storage.models import Rep, Team
from bot.storage.records import Written, rep_activities
from bot.usecases import crm
from bot.usecases.calls import log_call, log_work
from bot.usecases.reps import RepProfile, profile_of
from bot.usecases.tips import RepDays, _days_of
from coaching.domain import Outcome, WorkType
from coaching.hours import local_day_bounds
from coaching.parser import CallCommand, WorkCommand
from tests.conftest import TEAM, THURSDAY_10_AMS

SAM = "U0SAM"


@pytest.fixture
def sam(db: Database) -> RepProfile:
    with db.transaction() as session:
        session.add(Team(id=TEAM, settings={}, created_at=THURSDAY_10_AMS))
        session.flush()
        session.add(Rep(team_id=TEAM, user_id=SAM, tz="Europe/Amsterdam", created_at=THURSDAY_10_AMS))
    with db.read() as session:
        return profile_of(session.get(Rep, (TEAM, SAM)), session.get(Team, TEAM))


@pytest.fixture
def other(db: Database) -> Iterator[Database]:
    """The same database as another process sees it: its own engine, its own memory of days."""
    database = Database(db.url)
    yield database
    database.dispose()


class ActivityReads:
    """Counts the statements that read activities."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT") and "activities" in statement:
            self.count += 1


def call(db: Database, rep: RepProfile, lead: str, outcome: Outcome, now: dt.datetime) -> Written:
    with db.transaction() as session:
        written = log_call(session, rep, CallCommand(lead=lead, outcome=outcome), now).written
    assert written is not None
    return written


def fresh(db: Database, rep: RepProfile, now: dt.datetime) -> list:
    start, end = local_day_bounds(now, rep.tz)
    with db.read() as session:
        return rep_activities(session, rep.team_id, rep.user_id, start, end)


def remembered(days: RepDays, db: Database, rep: RepProfile, now: dt.datetime, written: Written | None) -> list:
    start, end = local_day_bounds(now, rep.tz)
    with db.read() as session:
        return days.activities(session, rep, start, end, written)


def test_the_remembered_day_is_the_days_entries_whoever_wrote_them(db, other, sam):
    days, reads = RepDays(), ActivityReads(db)
    now = THURSDAY_10_AMS

    first = call(db, sam, "Acme BV", Outcome.NO_ANSWER, now)
    assert remembered(days, db, sam, now, first) == fresh(db, sam, now)  # nothing remembered yet: read

    now += dt.timedelta(minutes=3)
    second = call(db, sam, "Globex", Outcome.VOICEMAIL, now)
    before = reads.count
    day = remembered(days, db, sam, now, second)
    assert reads.count == before, "the only change since was this entry: no read"
    assert [entry.id for entry in day] == [first.entry.id, second.entry.id]
    assert day == fresh(db, sam, now)

    # Another process logs a call for Sam: the next entry here finds its stamp two ahead, and reads.
    now += dt.timedelta(minutes=3)
    theirs = call(other, sam, "Initech", Outcome.CONNECTED, now)
    now += dt.timedelta(minutes=3)
    fourth = call(db, sam, "Hooli NV", Outcome.BUSY, now)
    before = reads.count
    day = remembered(days, db, sam, now, fourth)
    assert reads.count == before + 1
    assert theirs.entry.id in [entry.id for entry in day]
    assert day == fresh(db, sam, now)

    # A correction in HubSpot (another process's pull) changes an entry without adding one: read again.
    with other.transaction() as session:
        assert crm._correct(session, fourth.entry.id, Outcome.MEETING)
    now += dt.timedelta(minutes=3)
    with db.transaction() as session:
        work = log_work(session, sam, WorkCommand(work=WorkType.EMAIL, minutes=20, note=""), now)
    day = remembered(days, db, sam, now, work)
    assert next(entry for entry in day if entry.id == fourth.entry.id).outcome is Outcome.MEETING
    assert day == fresh(db, sam, now)

    # Work logged after the fact started before the last call: it joins the day in its place, unread.
    now += dt.timedelta(minutes=1)
    with db.transaction() as session:
        earlier = log_work(session, sam, WorkCommand(work=WorkType.ADMIN, minutes=15, note=""), now)
    before = reads.count
    day = remembered(days, db, sam, now, earlier)
    assert reads.count == before
    assert day == fresh(db, sam, now)

    # A removal in HubSpot, then a call: read again, without the removed call.
    with other.transaction() as session:
        crm._remove(session, theirs.entry.id)
    now += dt.timedelta(minutes=1)
    last = call(db, sam, "Umbrella", Outcome.NO_ANSWER, now)
    day = remembered(days, db, sam, now, last)
    assert theirs.entry.id not in [entry.id for entry in day]
    assert day == fresh(db, sam, now)


def test_an_entry_finishing_after_a_later_one_finds_itself_in_the_day(db, sam):
    days = RepDays()
    now = THURSDAY_10_AMS
    first = call(db, sam, "Acme BV", Outcome.NO_ANSWER, now)
    second = call(db, sam, "Globex", Outcome.NO_ANSWER, now + dt.timedelta(seconds=1))
    # The second request's tip ran first (and read); the first request's tip comes after.
    assert remembered(days, db, sam, now, second) == fresh(db, sam, now)
    assert remembered(days, db, sam, now, first) == fresh(db, sam, now)


def test_a_new_day_is_read(db, sam):
    days, reads = RepDays(), ActivityReads(db)
    today = THURSDAY_10_AMS
    remembered(days, db, sam, today, call(db, sam, "Acme BV", Outcome.NO_ANSWER, today))
    tomorrow = today + dt.timedelta(days=1)
    written = call(db, sam, "Acme BV", Outcome.NO_ANSWER, tomorrow)
    before = reads.count
    day = remembered(days, db, sam, tomorrow, written)
    assert reads.count == before + 1
    assert day == fresh(db, sam, tomorrow) == [written.entry]


def test_a_rep_forgotten_and_seen_again_at_the_same_instant_starts_an_empty_day(coachbot, clock):
    for lead in ("Acme BV", "Globex", "Initech"):
        assert coachbot.slash("/call", f"{lead} no-answer").status == 200
    assert coachbot.click("coach_forget", "U0SAM", user="U0SAM").status == 200
    assert coachbot.slash("/call", "Hooli NV no-answer").status == 200
    rep = coachbot.runtime.reps.profile(TEAM, "U0SAM")
    now = clock()
    with coachbot.db.read() as session:
        start, end = local_day_bounds(now, rep.tz)
        stored = rep_activities(session, TEAM, "U0SAM", start, end)
    assert len(stored) == 1
    # What the tip after the last call read: the new day of one call, not the forgotten rep's three.
    assert _days_of(coachbot.db)._days[(TEAM, "U0SAM")][3] == stored


def test_the_days_remembered_are_bounded_by_their_entries_the_least_recent_rep_going_first(db, sam):
    with db.transaction() as session:
        session.add(Rep(team_id=TEAM, user_id="U0ANOUK", tz="Europe/Amsterdam", created_at=THURSDAY_10_AMS))
    with db.read() as session:
        anouk = profile_of(session.get(Rep, (TEAM, "U0ANOUK")), session.get(Team, TEAM))
    days = RepDays(entries=3)
    now = THURSDAY_10_AMS
    for minute in range(2):
        remembered(days, db, sam, now, call(db, sam, f"Lead {minute}", Outcome.NO_ANSWER, now))
        now += dt.timedelta(minutes=1)
    assert len(days._days[(TEAM, SAM)][3]) == 2
    for minute in range(2):
        remembered(days, db, anouk, now, call(db, anouk, f"Lead {minute}", Outcome.NO_ANSWER, now))
        now += dt.timedelta(minutes=1)
    # Four entries held is one over the bound: Sam's day (seen least recently) went.
    assert list(days._days) == [(TEAM, "U0ANOUK")]
    assert days._held == 2
