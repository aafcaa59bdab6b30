"""The leaderboard's SQL aggregates, exactly, on SQLite and PostgreSQL: caps per UTC day, windows, workspaces."""

import contextlib
import datetime as dt
import random

from sqlalchemy import event, text

from bot.storage.models import Activity, Lead, Rep, Team
from bot.storage.standings import figures, first_meetings, lead_attempts, rebuild_rep_days, standings
from coaching.domain import Activity as DomainActivity
from coaching.domain import ActivityKind, Outcome
from coaching.metrics import LeadAttempts
from coaching.metrics import lead_attempts as metrics_lead_attempts
from coaching.quality import QualitySettings, RepFigures
from tests.rows import activity

TEAM, OTHER = "T0QUALITY", "T0OTHER"
START = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)  # a Monday, 00:00 UTC
END = START + dt.timedelta(days=7)
MON, TUE = START, START + dt.timedelta(days=1)
SETTINGS = QualitySettings(daily_dial_cap=3)


class Seed:
    """Rows written straight through the ORM: teams, reps, leads and calls."""

    def __init__(self, session):
        self.session = session
        self.reps = set()

    def team(self, team_id):
        self.session.add(Team(id=team_id, name=team_id, created_at=START))
        self.session.flush()

    def rep(self, team_id, user_id):
        if (team_id, user_id) not in self.reps:
            self.reps.add((team_id, user_id))
            self.session.add(Rep(team_id=team_id, user_id=user_id, created_at=START))
            self.session.flush()

    def lead(self, team_id, name, reached_at=None):
        lead = Lead(
            team_id=team_id, key=name.casefold(), name=name, owner_id="U0", reached_at=reached_at, created_at=START
        )
        self.session.add(lead)
        self.session.flush()
        return lead

    def call(self, user_id, at, outcome="no-answer", *, team=TEAM, lead=None, attempt=None, research=False, dm=False):
        self.rep(team, user_id)
        lead_id = lead.id if lead else None
        flags = {"researched": research, "decision_maker": dm}
        self.session.add(
            activity(team, user_id, "call", at, outcome=outcome, lead_id=lead_id, attempt=attempt, **flags)
        )

    def work(self, user_id, at, kind="work", team=TEAM):
        self.rep(team, user_id)
        end = at + dt.timedelta(minutes=30)
        self.session.add(Activity(team_id=team, user_id=user_id, kind=kind, started_at=at, ended_at=end, created_at=at))


@contextlib.contextmanager
def seeding(db):
    """Rows for both workspaces, written in one transaction when the block ends."""
    with db.transaction() as session:
        seed = Seed(session)
        seed.team(TEAM)
        seed.team(OTHER)
        yield seed
        # Rows written past log_call: the daily rollup is recounted from them, as a bulk load would.
        session.flush()
        rebuild_rep_days(session, TEAM)
        rebuild_rep_days(session, OTHER)


def read(db):
    """A session whose PostgreSQL clock is far from UTC: the UTC day must not depend on the session's time zone."""
    session = db.sessions()
    if db.dialect == "postgresql":
        session.execute(text("SET TIME ZONE 'Pacific/Kiritimati'"))  # UTC+14: Monday 11:00 UTC is Tuesday there
    return session


def at(day, hours=0.0):
    return day + dt.timedelta(hours=hours)


def test_figures_count_each_kind_of_call_and_cap_dials_per_utc_day(db):
    # Monday: 5 calls (capped at 3), the last a microsecond before midnight UTC; Tuesday: 2 calls from midnight.
    # On PostgreSQL the session runs at UTC+14, where all but the last call fall on Tuesday: the cap must not care.
    with seeding(db) as seed:
        seed.call("U0ANN", at(MON, 20), "meeting", attempt=1, research=True, dm=True)
        seed.call("U0ANN", at(MON, 21), "connected", attempt=2, research=True, dm=True)
        seed.call("U0ANN", at(MON, 22), "wrong-person", attempt=6, dm=True)  # a +dm on wrong-person: a DM conversation
        seed.call("U0ANN", at(MON, 23), "gatekeeper", attempt=7, research=True, dm=True)  # not a conversation
        seed.call("U0ANN", MON + dt.timedelta(days=1, microseconds=-1), "no-answer", attempt=3)
        seed.call("U0ANN", at(TUE), "callback", attempt=None)
        seed.call("U0ANN", at(TUE, 23.5), "meeting", attempt=4)
        seed.work("U0ANN", at(MON, 13))  # logged work, breaks and focus blocks are not dials
        seed.work("U0ANN", at(MON, 14), kind="break")
        seed.work("U0ANN", at(MON, 15), kind="focus")
        for hour in range(4):
            seed.call("U0BOB", at(TUE, 8 + hour), "voicemail", attempt=hour + 1)
        seed.work("U0CAT", at(MON, 9))  # Cat logged work but made no call: not on the board

    with read(db) as session:
        got = figures(session, TEAM, START, END, settings=SETTINGS)
    assert got == [
        RepFigures(
            "U0ANN",
            dials=7,
            capped_dials=3 + 2,
            conversations=5,
            dm_conversations=3,
            meetings=2,
            researched_calls=3,
            followup_attempts=4,  # attempts 2, 6, 3 and 4; the 1st and the 7th don't count, nor an unknown attempt
        ),
        RepFigures("U0BOB", dials=4, capped_dials=3, followup_attempts=3),
    ]


def test_one_statement_and_one_row_per_rep_leave_the_database(db):
    with seeding(db) as seed:
        for n in range(50):
            seed.call(f"U0REP{n % 5}", at(MON, 8 + n / 10), "meeting" if n % 7 == 0 else "no-answer", attempt=1)
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT"):  # not SQLite's BEGIN
            statements.append(statement)

    with read(db) as session:
        event.listen(db.engine, "after_cursor_execute", record)
        try:
            got = figures(session, TEAM, START, END, settings=SETTINGS)
        finally:
            event.remove(db.engine, "after_cursor_execute", record)
    [statement] = statements
    assert "GROUP BY" in statement
    assert [f.user_id for f in got] == [f"U0REP{n}" for n in range(5)]
    assert sum(f.dials for f in got) == 50


def test_the_daily_cap_and_target_come_from_the_arguments(db):
    with seeding(db) as seed:
        for hour in range(6):
            seed.call("U0ANN", at(MON, 8 + hour), "no-answer", attempt=hour + 1)
            seed.call("U0ANN", at(TUE, 8 + hour), "no-answer", attempt=hour + 1)
    with read(db) as session:
        [wide] = figures(session, TEAM, START, END, settings=QualitySettings(daily_dial_cap=5), target_attempts=8)
        [narrow] = figures(session, TEAM, START, END, settings=QualitySettings(daily_dial_cap=1), target_attempts=2)
    assert (wide.dials, wide.capped_dials, wide.followup_attempts) == (12, 10, 10)
    assert (narrow.dials, narrow.capped_dials, narrow.followup_attempts) == (12, 2, 2)


def test_the_window_is_start_inclusive_end_exclusive(db):
    with seeding(db) as seed:
        seed.call("U0ANN", START - dt.timedelta(microseconds=1), "meeting")
        seed.call("U0ANN", START, "connected")
        seed.call("U0ANN", END - dt.timedelta(microseconds=1), "no-answer")
        seed.call("U0ANN", END, "meeting")
        seed.call("U0BOB", END, "meeting")  # only outside the window: Bob isn't on this board
    with read(db) as session:
        assert figures(session, TEAM, START, END, settings=SETTINGS) == [
            RepFigures("U0ANN", dials=2, capped_dials=2, conversations=1)
        ]
        assert figures(session, TEAM, END, END, settings=SETTINGS) == []


def test_a_window_ending_late_in_a_day_takes_the_calls_after_it_off_the_days_rollup_before_the_cap(db):
    # A channel post's window ends in the afternoon: the day's rollup less the calls after the end, then capped.
    with seeding(db) as seed:
        for hour in range(6):
            seed.call("U0ANN", at(MON, 8 + hour), "connected" if hour == 0 else "no-answer", attempt=hour + 1)
        for hour in (16, 17, 18):
            seed.call("U0ANN", at(MON, hour), "meeting", attempt=2)
        seed.call("U0BOB", at(MON, 19), "meeting")  # only after the window's end: not on the board
        seed.call("U0BOB", at(TUE, 9), "no-answer")
    with read(db) as session:
        assert figures(session, TEAM, START, at(MON, 15), settings=SETTINGS) == [
            RepFigures("U0ANN", dials=6, capped_dials=3, conversations=1, followup_attempts=5)
        ]
        assert figures(session, TEAM, START, at(MON, 17.5), settings=SETTINGS) == [
            RepFigures("U0ANN", dials=8, capped_dials=3, conversations=3, meetings=2, followup_attempts=7)
        ]
        assert figures(session, TEAM, at(MON, 9), at(TUE, 20), settings=SETTINGS) == [
            RepFigures("U0ANN", dials=8, capped_dials=3, conversations=3, meetings=3, followup_attempts=8),
            RepFigures("U0BOB", dials=2, capped_dials=2, conversations=1, meetings=1),
        ]


def test_another_workspace_is_invisible(db):
    # The same Slack user id in two workspaces: each workspace sees only its own rows.
    with seeding(db) as seed:
        lead = seed.lead(OTHER, "Globex", reached_at=None)
        seed.call("U0ANN", at(MON, 9), "no-answer")
        for hour in range(5):
            seed.call("U0ANN", at(MON, 10 + hour), "meeting", team=OTHER, lead=lead, attempt=2, research=True, dm=True)
        seed.call("U0EVE", at(MON, 9), "meeting", team=OTHER, lead=lead)
    with read(db) as session:
        assert figures(session, TEAM, START, END, settings=SETTINGS) == [RepFigures("U0ANN", dials=1, capped_dials=1)]
        assert lead_attempts(session, TEAM, START, END) == {}
        assert first_meetings(session, TEAM, START, END) == []
        assert [r.figures.user_id for r in standings(session, TEAM, START, END, SETTINGS)] == ["U0ANN"]
        assert first_meetings(session, OTHER, START, END) == ["U0ANN", "U0EVE"]
        [other_ann, _] = figures(session, OTHER, START, END, settings=SETTINGS)
        assert (other_ann.dials, other_ann.meetings, other_ann.followup_attempts) == (5, 5, 5)


def test_attempts_per_lead_counts_each_lead_not_reached_in_the_window_at_its_highest_attempt(db):
    with seeding(db) as seed:
        open_a = seed.lead(TEAM, "Acme")
        open_b = seed.lead(TEAM, "Bakkerij Jansen")
        reached_inside = seed.lead(TEAM, "Initech", reached_at=at(TUE, 10))
        reached_later = seed.lead(TEAM, "Hooli", reached_at=END)  # reached after the window: unreached within it
        reached_before = seed.lead(TEAM, "Umbrella", reached_at=START - dt.timedelta(days=1))
        for hour in range(3):
            seed.call("U0ANN", at(MON, 9 + hour), lead=open_a, attempt=hour + 1)
        seed.call("U0ANN", START - dt.timedelta(hours=1), lead=open_b, attempt=1)  # before the window: not counted
        seed.call("U0ANN", at(TUE, 9), lead=open_b, attempt=2)
        seed.call("U0ANN", at(MON, 9), lead=reached_inside, attempt=1)
        seed.call("U0ANN", at(TUE, 10), "connected", lead=reached_inside, attempt=2)
        seed.call("U0ANN", at(MON, 9), lead=reached_later, attempt=1)
        seed.call("U0ANN", at(TUE, 9), lead=reached_later, attempt=2)
        seed.call("U0ANN", at(TUE, 9), "callback", lead=reached_before, attempt=3)
        seed.call("U0ANN", at(TUE, 11))  # a call without a lead
        seed.call("U0BOB", at(TUE, 12), lead=open_a, attempt=4)  # Bob's calls count for Bob
        seed.call("U0CAT", at(TUE, 12), "meeting", lead=reached_inside, attempt=3)  # Cat only called a reached lead
    with read(db) as session:
        # Ann: Acme at attempt 3, Bakkerij Jansen 2, Hooli 2; Initech and Umbrella were reached by her calls.
        assert lead_attempts(session, TEAM, START, END) == {
            "U0ANN": LeadAttempts(leads=3, attempts=3 + 2 + 2),
            "U0BOB": LeadAttempts(leads=1, attempts=4),
        }
        assert lead_attempts(session, TEAM, START, END, user_id="U0BOB") == {"U0BOB": LeadAttempts(1, 4)}
        # Seen from a window that closed as Initech was reached, Initech was still open, too.
        assert lead_attempts(session, TEAM, START, at(TUE, 10)) == {"U0ANN": LeadAttempts(4, 3 + 2 + 1 + 2)}
        assert lead_attempts(session, TEAM, END, END + dt.timedelta(days=7)) == {}


def test_first_meetings_are_the_first_ever_meetings_booked_in_the_window(db):
    with seeding(db) as seed:
        seed.call("U0ANN", START - dt.timedelta(days=30), "meeting")  # Ann's first meeting was last month
        seed.call("U0ANN", at(MON, 9), "meeting")
        seed.call("U0BOB", START - dt.timedelta(days=30), "connected")
        seed.call("U0BOB", at(TUE, 9), "meeting")  # Bob's first
        seed.call("U0BOB", at(TUE, 10), "meeting")
        seed.call("U0CAT", START, "meeting")  # at the start: inside
        seed.call("U0DAN", END, "meeting")  # at the end: outside
        seed.work("U0EVE", at(MON, 9))
        seed.call("U0EVE", at(MON, 10), "callback")
    with read(db) as session:
        assert first_meetings(session, TEAM, START, END) == ["U0BOB", "U0CAT"]
        assert first_meetings(session, TEAM, END, END + dt.timedelta(days=7)) == ["U0DAN"]


def test_standings_rank_quality_over_volume(db):
    with seeding(db) as seed:
        leads = [seed.lead(TEAM, f"Lead {n}") for n in range(10)]
        for n in range(10):  # Ann: 10 researched first calls, 2 meetings
            seed.call(
                "U0ANN",
                at(MON, 9 + n / 10),
                "meeting" if n < 2 else "no-answer",
                lead=leads[n],
                attempt=1,
                research=True,
            )
        for n in range(60):  # Bob: 60 unanswered dials, a full cadence on each of the 10 leads
            seed.call(
                "U0BOB", at(TUE + dt.timedelta(days=n // 20), 9 + n % 20 / 4), lead=leads[n % 10], attempt=n // 10 + 1
            )
        seed.call("U0CAT", at(MON, 9), "connected", dm=True)
    with read(db) as session:
        board = standings(session, TEAM, START, END, QualitySettings())
    assert [(r.position, r.figures.user_id, r.score) for r in board] == [
        (1, "U0ANN", 20 + 4 + 5 + 1),
        (2, "U0CAT", 5 + 0.1),
        (3, "U0BOB", 0),
    ]
    assert board[2].figures.followup_attempts == 50


def test_attempts_per_lead_in_sql_equals_the_coaching_definition_on_random_calls(db):
    # The reference: coaching.metrics.lead_attempts, fed each rep's calls of the window as the rules see them.
    rng = random.Random(20261130)
    outcomes = [outcome.value for outcome in Outcome]
    weights = [1 if Outcome(outcome).reached else 8 for outcome in outcomes]  # most dials reach no one
    calls = []
    with seeding(db) as seed:
        leads = [seed.lead(TEAM, f"Lead {n}") for n in range(40)]
        for _ in range(400):
            user_id = rng.choice(["U0ANN", "U0BOB", "U0CAT"])
            at_ = START - dt.timedelta(days=2) + dt.timedelta(minutes=rng.randrange(11 * 24 * 60))
            lead = rng.choice([*leads, None])
            attempt = rng.choice([None, 1, 2, 3, 5, 8])
            outcome = rng.choices(outcomes, weights)[0]
            seed.call(user_id, at_, outcome, lead=lead, attempt=attempt)
            calls.append((user_id, at_, outcome, lead and str(lead.id), attempt))
    seen = set()
    windows = [(START, END), (MON + dt.timedelta(hours=23), TUE + dt.timedelta(hours=5, minutes=17)), (END, END)]
    windows += [(START - dt.timedelta(days=3), END + dt.timedelta(days=3)), (TUE, TUE + dt.timedelta(hours=1))]
    with read(db) as session:
        for start, end in windows:
            expected = {}
            for user_id in sorted({call[0] for call in calls}):
                mine = [
                    DomainActivity(n, ActivityKind.CALL, at_, at_, Outcome(outcome), lead_key=lead, attempt=attempt)
                    for n, (user, at_, outcome, lead, attempt) in enumerate(calls)
                    if user == user_id and start <= at_ < end
                ]
                figure = metrics_lead_attempts(mine)
                if figure.leads:
                    expected[user_id] = figure
            assert lead_attempts(session, TEAM, start, end) == expected, (start, end)
            seen.update(expected.values())
            for user_id, figure in expected.items():
                assert lead_attempts(session, TEAM, start, end, user_id=user_id) == {user_id: figure}
    assert len(seen) > 5  # the draw gives varied figures, not a row of empty windows
