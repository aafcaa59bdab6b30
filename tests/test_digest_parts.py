"""The manager digest read from the parts the clock prepares (bot.storage.digest_parts), on SQLite and PostgreSQL.

The reference is the digest counted from the activities alone. After the clock has prepared a week the digest must
read the same, reading no activity; and it must stay the same after every change that lands behind in the week:
work begun before midnight, a call pulled from HubSpot, a correction and a removal there, a rep's new zone, new
thresholds, a change that races the clock's count. Another workspace's parts are never touched.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update

from bot.storage import digest_parts
from bot.storage.database import Database
from bot.storage.models import Activity, DigestPart, DigestWeek, Nudge, Rep, Team
from bot.storage.records import entries_changed
from bot.usecases import crm
from bot.usecases import digest as digests
from bot.usecases.calls import log_call, log_work
from bot.usecases.reps import RepProfile, profile_of
from coaching.domain import Outcome, WorkType
from coaching.parser import CallCommand, WorkCommand

TEAM, OTHER = "T0DIGEST", "T0ELSE"
AMS = ZoneInfo("Europe/Amsterdam")
PETRA, SAM, NORA, KEI, IDLE = "U0PETRA", "U0SAM", "U0NORA", "U0KEI", "U0IDLE"
ZONES = {PETRA: "Europe/Amsterdam", SAM: "Europe/Amsterdam", NORA: "America/New_York", KEI: "Asia/Tokyo"}
ZONES[IDLE] = "Europe/Amsterdam"
# The digest of the week Monday 23 November to Sunday 29 November 2026, read on Monday 30 November at 09:00.
WEEK_START = dt.datetime(2026, 11, 23, tzinfo=AMS).astimezone(dt.UTC)
WEEK_END = dt.datetime(2026, 11, 30, tzinfo=AMS).astimezone(dt.UTC)
DUE = dt.datetime(2026, 11, 30, 9, tzinfo=AMS).astimezone(dt.UTC)


def rep_profile(db: Database, team: str, user: str) -> RepProfile:
    with db.read() as session:
        return profile_of(session.get(Rep, (team, user)), session.get(Team, team))


def call(db: Database, team: str, user: str, lead: str, outcome: Outcome, at: dt.datetime, **how) -> None:
    with db.transaction() as session:
        log_call(session, rep_profile(db, team, user), CallCommand(lead=lead, outcome=outcome), at, **how)


def work(db: Database, team: str, user: str, minutes: int, ends: dt.datetime) -> None:
    with db.transaction() as session:
        log_work(session, rep_profile(db, team, user), WorkCommand(work=WorkType.ADMIN, minutes=minutes, note=""), ends)


def seed(db: Database, team: str) -> None:
    """Two weeks of a team in three zones: a busy dialer who reaches no one, a steady rep, one across the world."""
    with db.transaction() as session:
        session.add(Team(id=team, settings={}, created_at=WEEK_START - dt.timedelta(days=30)))
        session.flush()
        for user, tz in ZONES.items():
            made = WEEK_START - dt.timedelta(days=30)
            session.add(Rep(team_id=team, user_id=user, name=user[2:].title(), tz=tz, created_at=made))
        session.execute(update(Rep).where(Rep.user_id == PETRA).values(is_admin=True))
    for week in (-7, 0):
        for day in range(5):
            morning = WEEK_START + dt.timedelta(days=week + day, hours=8)
            for i in range(25 if day % 2 == 0 else 8):  # Sam: a connect rate of nil, three days a week
                call(db, team, SAM, f"Dial {i % 9}", Outcome.NO_ANSWER, morning + dt.timedelta(minutes=3 * i))
            for i in range(4):
                outcome = Outcome.MEETING if i == 0 else Outcome.VOICEMAIL
                call(db, team, NORA, f"Prospect {i}", outcome, morning + dt.timedelta(hours=6, minutes=20 * i))
            work(db, team, NORA, 90, morning + dt.timedelta(hours=9))
            call(db, team, KEI, "Tokyo Lead", Outcome.BUSY, morning - dt.timedelta(hours=7))


@pytest.fixture
def team(db: Database) -> Database:
    seed(db, TEAM)
    seed(db, OTHER)
    return db


def nudge(team: str = TEAM) -> Nudge:
    week = {"week_start": WEEK_START.isoformat(), "week_end": WEEK_END.isoformat()}
    return Nudge(team_id=team, user_id=PETRA, kind="digest", payload=week)


def composed(db: Database, team: str = TEAM) -> str:
    with db.read() as session:
        message = digests.digest(session, nudge(team), DUE)
    assert message is not None
    return message["text"]


def counted(db: Database, monkeypatch: pytest.MonkeyPatch, team: str = TEAM) -> str:
    """The reference: the digest counted from the activities, as if the clock had prepared nothing."""
    with monkeypatch.context() as patch:
        patch.setattr(digest_parts, "week", lambda *args: None)
        return composed(db, team)


def prepare(db: Database, now: dt.datetime) -> int:
    return digests.prepare_digests(db, now, seconds=60)


def prepared(db: Database) -> None:
    """The clock's passes after the week closed: the week opened, then every rep's part counted."""
    assert prepare(db, WEEK_END + dt.timedelta(minutes=5)) == 0  # opens the week, a pass before its rows
    assert prepare(db, WEEK_END + dt.timedelta(minutes=7)) == 2 * len(ZONES)


def parts(db: Database, team: str = TEAM) -> dict[str, dict | None]:
    with db.read() as session:
        rows = session.execute(select(DigestPart.user_id, DigestPart.payload).where(DigestPart.team_id == team))
        return {row.user_id: row.payload for row in rows}


def to_count(db: Database, team: str = TEAM) -> list[str]:
    return sorted(user for user, payload in parts(db, team).items() if payload is None)


class Reads:
    """The reps whose activities the digest read (None: the whole team's)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[list[str] | None] = []
        read = digests._activities

        def spy(session, team_id, start, end, user_ids):  # noqa: ANN001, ANN202
            self.seen.append(None if user_ids is None else sorted(user_ids))
            return read(session, team_id, start, end, user_ids)

        monkeypatch.setattr(digests, "_activities", spy)


def test_a_prepared_digest_reads_the_same_without_reading_any_activity(team, monkeypatch):
    reference = counted(team, monkeypatch)
    assert "Sam: M101" in reference and "3 " in reference  # the busy dialer's nil connect rate, three days
    prepared(team)
    assert to_count(team) == [] and parts(team)[IDLE] == {}  # the idle rep's part: nothing logged
    reads = Reads(monkeypatch)
    assert composed(team) == reference
    assert reads.seen == [[]]


def test_the_clock_opens_a_week_only_once_it_has_ended_and_prunes_old_ones(team):
    assert prepare(team, WEEK_END - dt.timedelta(minutes=1)) == 0
    with team.read() as session:
        [week] = session.scalars(select(DigestWeek).where(DigestWeek.team_id == TEAM))
    assert week.end == WEEK_START  # the week before: the last one closed on Sunday night
    prepared(team)
    with team.read() as session:
        ends = sorted(session.scalars(select(DigestWeek.end).where(DigestWeek.team_id == TEAM)))
    assert ends == [WEEK_START, WEEK_END]
    prepare(team, WEEK_END + dt.timedelta(days=12))
    with team.read() as session:
        assert WEEK_START not in list(session.scalars(select(DigestWeek.end)))


def test_changes_behind_in_the_week_are_counted_again_and_only_the_reps_they_touch(team, monkeypatch):
    prepared(team)
    # Work begun before midnight, logged on Monday at 00:20: it lies in the week.
    work(team, TEAM, SAM, 40, WEEK_END + dt.timedelta(minutes=20))
    # A call pulled from HubSpot, made on the Wednesday.
    wednesday = WEEK_START + dt.timedelta(days=2, hours=15)
    call(team, TEAM, KEI, "From HubSpot", Outcome.MEETING, wednesday, source="hubspot", live=False)
    assert to_count(team) == [KEI, SAM]
    assert to_count(team, OTHER) == []  # the same reps of another workspace: untouched
    # A correction and a removal in HubSpot, of Nora's calls in the week.
    with team.read() as session:
        noras = list(
            session.scalars(
                select(Activity.id)
                .where(Activity.team_id == TEAM, Activity.user_id == NORA, Activity.started_at >= WEEK_START)
                .order_by(Activity.id)
            )
        )
    with team.transaction() as session:
        assert crm._correct(session, noras[1], Outcome.CONNECTED)
    assert to_count(team) == [KEI, NORA, SAM]
    reads = Reads(monkeypatch)
    assert composed(team) == counted(team, monkeypatch)
    assert reads.seen[0] == [KEI, NORA, SAM]  # the others from their parts
    prepare(team, WEEK_END + dt.timedelta(minutes=30))
    assert to_count(team) == []
    with team.transaction() as session:
        crm._remove(session, noras[2])
    assert to_count(team) == [NORA]
    assert composed(team) == counted(team, monkeypatch)
    # A call made now, on Monday morning, lies after the week: nothing to count again.
    prepare(team, WEEK_END + dt.timedelta(minutes=40))
    call(team, TEAM, SAM, "Monday", Outcome.NO_ANSWER, WEEK_END + dt.timedelta(hours=8))
    assert to_count(team) == []
    assert composed(team) == counted(team, monkeypatch)


def test_a_change_that_races_the_clocks_count_is_not_stored_over(team, monkeypatch):
    prepare(team, WEEK_END + dt.timedelta(minutes=5))
    with team.transaction() as session:
        week = digest_parts.week(session, TEAM, WEEK_START, WEEK_END, WEEK_START.astimezone(AMS).date())
        assert week is not None
        digest_parts.complete(session, week, WEEK_END + dt.timedelta(minutes=7))
        week_id = week.id
    with team.read() as session:
        read = digest_parts.stamps(session, TEAM, [SAM])  # the clock reads Sam's version, then counts...
    with team.transaction() as session:
        entries_changed(session, TEAM, SAM)  # ...while an entry of Sam's changes
    with team.transaction() as session:
        assert digest_parts.store(session, week_id, TEAM, [(SAM, ZONES[SAM], {}, read[SAM])]) == 0
    assert SAM in to_count(team)
    prepare(team, WEEK_END + dt.timedelta(minutes=9))
    assert to_count(team) == []
    assert composed(team) == counted(team, monkeypatch)


def test_a_reps_new_zone_and_the_teams_new_thresholds_are_read_as_counted(team, monkeypatch):
    prepared(team)
    with team.transaction() as session:
        session.execute(update(Rep).where(Rep.team_id == TEAM, Rep.user_id == KEI).values(tz="Europe/London"))
    reads = Reads(monkeypatch)
    assert composed(team) == counted(team, monkeypatch)
    assert reads.seen[0] == [KEI]
    prepare(team, WEEK_END + dt.timedelta(minutes=15))  # the clock counts Kei's part again, in the new zone
    reads.seen.clear()
    assert composed(team) == counted(team, monkeypatch)
    assert reads.seen[0] == []
    with team.transaction() as session:
        thresholds = {"thresholds": {"connect_rate_floor": 0.5}}
        session.execute(update(Team).where(Team.id == TEAM).values(settings=thresholds))
    reads.seen.clear()
    assert composed(team) == counted(team, monkeypatch)
    assert reads.seen[0] is None  # prepared by other thresholds: the whole team counted
    prepare(team, WEEK_END + dt.timedelta(minutes=20))  # the week opened again, under the new thresholds
    prepare(team, WEEK_END + dt.timedelta(minutes=22))
    reads.seen.clear()
    assert composed(team) == counted(team, monkeypatch)
    assert reads.seen[0] == []


def test_a_forgotten_reps_parts_go_with_them(team):
    prepared(team)
    with team.transaction() as session:
        session.execute(delete(Rep).where(Rep.team_id == TEAM, Rep.user_id == SAM))
    assert SAM not in parts(team) and SAM in parts(team, OTHER)
