"""The channel posts' attempts per lead, folded ahead by the clock: always the definition's figure, on both databases.

Folded seasons, the calls past the fold's horizon, calls HubSpot writes, corrects or removes behind it, `/coach
forget`, and workspaces side by side. The reference is `coaching.metrics.lead_attempts` itself.
"""

import contextlib
import datetime as dt
import random
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select

from bot.storage import persistence
from bot.storage.models import (
    Activity,
    Lead,
    PersistenceChange,
    PersistencePeriod,
    PersistenceStep,
    Rep,
    Subscription,
    Team,
)
from bot.usecases import crm
from coaching.domain import Activity as DomainActivity
from coaching.domain import ActivityKind, Outcome
from coaching.metrics import lead_attempts as definition
from tests.rows import activity

TEAM, OTHER = "T0FOLD", "T0ELSE"
TZ = ZoneInfo("Europe/Amsterdam")
REPS = ["U0ANN", "U0BOB", "U0CAT"]
OUTCOMES = [outcome.value for outcome in Outcome]
WEIGHTS = [1 if Outcome(outcome).reached else 6 for outcome in OUTCOMES]
# Monday 23 November 2026, 00:00 in Amsterdam: the week season of the tests; the month season is November.
MONDAY = dt.datetime(2026, 11, 23, tzinfo=TZ).astimezone(dt.UTC)


def expected(db, team_id, start, end):
    """The definition, fed each rep's calls in [start, end) as stored."""
    with db.read() as s:
        rows = s.execute(
            select(Activity.id, Activity.user_id, Activity.started_at, Activity.outcome)
            .add_columns(Activity.lead_id, Activity.attempt)
            .where(Activity.team_id == team_id, Activity.kind == "call")
            .where(Activity.started_at >= start, Activity.started_at < end)
        ).all()
    found = {}
    for user in sorted({row.user_id for row in rows}):
        mine = [
            DomainActivity(
                row.id,
                ActivityKind.CALL,
                row.started_at,
                row.started_at,
                Outcome(row.outcome),
                lead_key=None if row.lead_id is None else str(row.lead_id),
                attempt=row.attempt,
            )
            for row in rows
            if row.user_id == user
        ]
        figure = definition(mine)
        if figure.leads:
            found[user] = figure
    return found


@contextlib.contextmanager
def scans(db):
    """Counts the statements that group a window's calls per rep and lead (the scan the fold saves)."""
    seen = []

    def record(conn, cursor, statement, *args):
        if "GROUP BY activities.user_id, activities.lead_id" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def figures(db, team_id, start, end):
    with db.read() as s:
        return persistence.figures(s, team_id, start, end)


def fold(db, now):
    """The clock's passes at `now` until every season is caught up."""
    while persistence.fold(db, now).behind:
        pass


class Calls:
    """A workspace subscribed to weekly and monthly posts, and calls written as the bot writes them."""

    def __init__(self, db, team_id=TEAM, seed=20261130):
        self.db, self.team_id = db, team_id
        self.rng = random.Random(seed)
        with db.transaction() as s:
            s.add(Team(id=team_id, name=team_id, settings={"tz": TZ.key}, created_at=MONDAY - dt.timedelta(days=60)))
            s.flush()
            for user in REPS:
                s.add(Rep(team_id=team_id, user_id=user, created_at=MONDAY - dt.timedelta(days=60)))
            for n, season in enumerate(("week", "month")):
                s.add(
                    Subscription(
                        team_id=team_id,
                        channel_id=f"C0{n}",
                        frequency="daily",
                        season=season,
                        created_by="U0ANN",
                        created_at=MONDAY - dt.timedelta(days=60),
                    )
                )
            s.flush()
            self.leads = []
            for n in range(30):
                lead = Lead(team_id=team_id, key=f"lead {n}", name=f"Lead {n}", owner_id="U0ANN", created_at=MONDAY)
                s.add(lead)
                s.flush()
                self.leads.append(lead.id)

    def write(self, start, end, count):
        """`count` random calls in [start, end), in time order."""
        minutes = int((end - start).total_seconds() // 60)
        times = sorted(start + dt.timedelta(minutes=self.rng.randrange(minutes)) for _ in range(count))
        with self.db.transaction() as s:
            for at in times:
                s.add(self.call(at))

    def call(self, at, *, user=None, lead=None, outcome=None):
        rng = self.rng
        return activity(
            self.team_id,
            user or rng.choice(REPS),
            "call",
            at,
            outcome=outcome or rng.choices(OUTCOMES, WEIGHTS)[0],
            lead_id=lead or rng.choice([*self.leads, None]),
            attempt=rng.choice([None, 1, 2, 3, 4, 6, 8]),
        )


def test_steps_add_up_to_the_definition_at_every_moment():
    calls = [
        (MONDAY + dt.timedelta(hours=1), 1, "no-answer"),
        (MONDAY + dt.timedelta(hours=2), None, "voicemail"),
        (MONDAY + dt.timedelta(hours=3), 4, "busy"),
        (MONDAY + dt.timedelta(hours=4), 2, "connected"),
        (MONDAY + dt.timedelta(hours=5), 5, "no-answer"),
    ]
    found = persistence.steps(calls)
    for cut in range(len(calls) + 1):
        prefix = [
            DomainActivity(n, ActivityKind.CALL, at, at, Outcome(outcome), lead_key="L", attempt=attempt)
            for n, (at, attempt, outcome) in enumerate(calls[:cut])
        ]
        share = definition(prefix)
        before = [step for step in found if step[0] < MONDAY + dt.timedelta(hours=cut, minutes=30)]
        assert (sum(s[1] for s in before), sum(s[2] for s in before)) == (share.leads, share.attempts)
    # Reached at the 4th call: the lead leaves the figure, and later calls change nothing.
    assert found[-1] == (MONDAY + dt.timedelta(hours=4), -1, -4)


def test_folded_figures_equal_the_definition_as_the_clock_moves_on(db):
    calls = Calls(db)
    last_month = dt.datetime(2026, 10, 1, tzinfo=TZ).astimezone(dt.UTC)
    calls.write(last_month, MONDAY + dt.timedelta(hours=9), 1500)
    now = MONDAY + dt.timedelta(hours=9, minutes=2)
    fold(db, now)
    checked = 0
    for step in range(6):
        # Calls keep coming after the fold: a post composed now reads the fold and counts the rest itself.
        calls.write(now, now + dt.timedelta(hours=5), 60)
        now += dt.timedelta(hours=5)
        post_at = now - dt.timedelta(seconds=30)  # past the horizon (a minute behind the fold's clock)
        if step % 2:
            fold(db, now)
        november = dt.datetime(2026, 11, 1, tzinfo=TZ).astimezone(dt.UTC)
        last_week = MONDAY - dt.timedelta(days=7)
        windows = [
            (MONDAY, post_at),  # the season so far
            (november, post_at),
            (last_week, last_week + (post_at - MONDAY)),  # the same stretch of the season before
            (last_month, last_month + (post_at - november)),
            (last_week, MONDAY),
            (MONDAY, MONDAY + dt.timedelta(hours=12)),  # a cut at midday, from either end of the day
            (MONDAY, MONDAY + dt.timedelta(hours=13)),
        ]
        with scans(db) as seen:
            for start, end in windows:
                want = expected(db, TEAM, start, end)
                assert figures(db, TEAM, start, end) == want, (step, start, end)
                checked += bool(want)
        assert seen == []  # every window came from the folded steps
    assert checked > 30


def test_a_window_not_starting_a_kept_season_is_counted_from_the_activities(db):
    calls = Calls(db)
    calls.write(MONDAY, MONDAY + dt.timedelta(days=2), 200)
    fold(db, MONDAY + dt.timedelta(days=2))
    start, end = MONDAY + dt.timedelta(hours=7), MONDAY + dt.timedelta(days=1, hours=3)
    with scans(db) as seen:
        assert figures(db, TEAM, start, end) == expected(db, TEAM, start, end)
    assert len(seen) == 1


def test_backdated_hubspot_calls_corrections_and_removals_are_folded_again(db):
    calls = Calls(db)
    calls.write(MONDAY, MONDAY + dt.timedelta(days=2), 300)
    now = MONDAY + dt.timedelta(days=2)
    fold(db, now)
    window = (MONDAY, now - dt.timedelta(minutes=5))
    lead = calls.leads[0]
    earlier = MONDAY + dt.timedelta(hours=10)
    # A call pulled from HubSpot that happened yesterday, written the way the pull writes it.
    with db.transaction() as s:
        pulled = calls.call(earlier, user="U0ANN", lead=lead, outcome="no-answer")
        s.add(pulled)
        s.flush()
        persistence.changed(s, TEAM, lead, earlier)
        pulled_id = pulled.id
    with scans(db) as seen:
        assert figures(db, TEAM, *window) == expected(db, TEAM, *window)
    assert len(seen) == 1  # behind the fold: counted from the activities until the lead is folded again
    fold(db, now + dt.timedelta(minutes=1))
    with scans(db) as seen:
        assert figures(db, TEAM, *window) == expected(db, TEAM, *window)
    assert seen == []
    # HubSpot corrects it to a meeting, then the call is deleted there: through the pull's own functions.
    with db.transaction() as s:
        assert crm._correct(s, pulled_id, Outcome.MEETING)
    assert figures(db, TEAM, *window) == expected(db, TEAM, *window)
    fold(db, now + dt.timedelta(minutes=2))
    assert figures(db, TEAM, *window) == expected(db, TEAM, *window)
    with db.transaction() as s:
        crm._remove(s, pulled_id)
    assert figures(db, TEAM, *window) == expected(db, TEAM, *window)
    fold(db, now + dt.timedelta(minutes=3))
    with scans(db) as seen:
        assert figures(db, TEAM, *window) == expected(db, TEAM, *window)
    assert seen == []
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PersistenceChange)) == 0


def test_workspaces_never_see_each_others_folded_figures(db):
    ours, theirs = Calls(db, TEAM, seed=1), Calls(db, OTHER, seed=2)
    ours.write(MONDAY, MONDAY + dt.timedelta(days=1), 150)
    theirs.write(MONDAY, MONDAY + dt.timedelta(days=1), 150)
    now = MONDAY + dt.timedelta(days=1, hours=1)
    fold(db, now)
    with db.transaction() as s:  # a change in one workspace leaves the other's figures folded
        persistence.changed(s, OTHER, theirs.leads[0], MONDAY + dt.timedelta(hours=3))
    with scans(db) as seen:
        for team_id in (TEAM, OTHER):
            got = figures(db, team_id, MONDAY, now)
            assert got == expected(db, team_id, MONDAY, now)
    assert len(seen) == 1  # the other workspace's window, counted from its activities
    with db.read() as s:
        for team_id in (TEAM, OTHER):
            periods = s.scalars(select(PersistencePeriod.id).where(PersistencePeriod.team_id == team_id)).all()
            steps = s.execute(
                select(PersistenceStep.team_id).where(PersistenceStep.period_id.in_(periods)).distinct()
            ).scalars()
            assert set(steps) == {team_id}
    # A window of a workspace with no calls of its own is empty, whatever the other holds.
    with db.transaction() as s:
        s.add(Team(id="T0EMPTY", name="empty", settings={"tz": TZ.key}, created_at=MONDAY))
    assert figures(db, "T0EMPTY", MONDAY, now) == {}


def test_seasons_no_longer_posted_are_dropped(db):
    calls = Calls(db)
    calls.write(MONDAY, MONDAY + dt.timedelta(days=1), 50)
    fold(db, MONDAY + dt.timedelta(days=1))
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PersistencePeriod)) == 4  # two weeks, two months
    with db.transaction() as s:
        for sub in s.scalars(select(Subscription)):
            sub.active = False
    fold(db, MONDAY + dt.timedelta(days=1, minutes=1))
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(PersistencePeriod)) == 0
        assert s.scalar(select(func.count()).select_from(PersistenceStep)) == 0


def test_a_season_folded_from_nothing_catches_up_over_passes_and_is_exact_at_each(db, monkeypatch):
    monkeypatch.setattr(persistence, "PASS_CALLS", 40)  # a few passes' worth of calls, as a month is at scale
    calls = Calls(db)
    calls.write(MONDAY, MONDAY + dt.timedelta(days=3), 300)
    now = MONDAY + dt.timedelta(days=3)
    passes = 0
    while True:
        done = persistence.fold(db, now)
        passes += 1
        for end in (MONDAY + dt.timedelta(days=1), now - dt.timedelta(minutes=2)):
            assert figures(db, TEAM, MONDAY, end) == expected(db, TEAM, MONDAY, end)
        if not done.behind:
            break
    assert passes >= 300 // 40
    with scans(db) as seen:
        assert figures(db, TEAM, MONDAY, now) == expected(db, TEAM, MONDAY, now)
    assert seen == []
