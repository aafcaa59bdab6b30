"""The sweep benchmark's data: one team of reps with open cadences, built in bulk and reshaped between scenarios.

Rows are written as the app writes them since issue 11 (`bot.usecases.calls` and `daylist.schedule_list`): each
pending follow-up, and for every rep and local day a follow-up falls due on, that day's list (`followup_list`,
dedupe key `daylist.list_key`, due at the start of the working day or at its first follow-up if earlier).
Ids are given explicitly: 1..N for the built leads and follow-ups, N+1..N+L for the lists, from there on for the
rows `grow` adds.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text, update

from bot.storage.database import Database
from bot.storage.models import Activity, FollowupList, Lead, Nudge, Rep, Team
from bot.usecases.daylist import LIST, list_key
from coaching.hours import WorkingHours, local_datetime

TEAM = "T0BENCH01"
TOKEN = "xoxb-bench-sweep"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# The sweep instant: Wednesday 2 December 2026, 10:00 in Amsterdam (09:00 UTC), inside default working hours.
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=AMSTERDAM).astimezone(dt.UTC)
CHUNK = 10_000  # rows per bulk INSERT
HOURS = WorkingHours()  # the reps' working hours: the defaults


@dataclass(frozen=True)
class Plan:
    """The sizes of one run, and how it measures."""

    total: int  # open cadences built
    due: int  # of them due at NOW
    scale: int  # rows for the scaling check
    reps: int
    backlog: int  # due rows in the backlog check
    first_contacts: int  # reps without a DM channel, one due nudge each
    history: int  # activities per rep for the history sweep (0: no history sweep)
    runs: int  # timed runs of each query (the median counts)
    sqlite_analyze: bool  # ANALYZE on SQLite too (the bot never runs it)
    profile: bool  # cProfile the main sweep


@dataclass(frozen=True)
class Seeded:
    """What `build_data` wrote: the due rows and what one sweep at NOW should make of them."""

    built: int  # the highest id written (follow-ups, then lists)
    followups_due: int  # follow-ups due at NOW
    listed: int  # follow-ups a sweep at NOW lists: every one due before the end of the rep's day
    lists_due: int  # lists due at NOW (today's): one message each

    @property
    def due(self) -> int:
        return self.followups_due + self.lists_due


def rep_id(n: int) -> str:
    return f"U0REP{n:04d}"


def rep_row(
    user_id: str, name: str, *, dm_channel: str | None, locale: str, created: dt.datetime, is_admin: bool = False
) -> dict[str, Any]:
    """A rep in Amsterdam whose Slack profile was fetched an hour ago."""
    return {
        "team_id": TEAM,
        "user_id": user_id,
        "name": name,
        "tz": "Europe/Amsterdam",
        "locale": locale,
        "language": None,
        "is_admin": is_admin,
        "dm_channel": dm_channel,
        "profile_fetched_at": NOW - dt.timedelta(hours=1),
        "created_at": created,
    }


def lead_row(lead_id: int, owner: str, key: str, name: str, outcome: str, called: dt.datetime) -> dict[str, Any]:
    """A lead in an active cadence: one call, not reached."""
    return {
        "id": lead_id,
        "team_id": TEAM,
        "key": key,
        "name": name,
        "owner_id": owner,
        "attempts": 1,
        "unreached_attempts": 1,
        "cadence": "active",
        "last_outcome": outcome,
        "last_attempt_at": called,
        "first_attempt_at": called,
        "reached_at": None,
        "created_at": called,
    }


def followup_row(
    nudge_id: int, user_id: str, lead_id: int, due_at: dt.datetime, created: dt.datetime
) -> dict[str, Any]:
    """The pending follow-up (attempt 2) of a lead."""
    return {
        "id": nudge_id,
        "team_id": TEAM,
        "user_id": user_id,
        "channel": None,
        "kind": "followup",
        "lead_id": lead_id,
        "attempt": 2,
        "due_at": due_at,
        "status": "pending",
        "tries": 0,
        "dedupe_key": f"followup:{lead_id}:2",
        "payload": {},
        "created_at": created,
    }


def build_data(db: Database, plan: Plan, seed: int = 20261202) -> Seeded:
    """The team, its reps (DM channel known), `plan.total` leads, their follow-ups (`plan.due` of them due) and the
    lists of the days they fall due on."""
    rng = random.Random(seed)
    created = NOW - dt.timedelta(days=30)
    last_call = NOW - dt.timedelta(days=2, hours=3)
    due = set(rng.sample(range(1, plan.total + 1), plan.due))  # scattered over the table, as in life

    def due_at(i: int) -> dt.datetime:
        if i in due:
            return NOW - dt.timedelta(seconds=rng.randrange(0, 3600))
        return NOW + dt.timedelta(seconds=rng.randrange(60, 14 * 86400))

    reps = [rep_id(r) for r in range(plan.reps)]
    followups = [followup_row(i, reps[i % plan.reps], i, due_at(i), last_call) for i in range(1, plan.total + 1)]
    lists = list_rows(followups, plan.total + 1, last_call)
    today = NOW.astimezone(AMSTERDAM).date()
    with db.engine.begin() as conn:
        conn.execute(insert(Team.__table__), [{"id": TEAM, "name": "Bench BV", "settings": {}, "created_at": created}])
        conn.execute(
            insert(Rep.__table__),
            [
                rep_row(
                    user,
                    f"Rep {r}",
                    dm_channel="D" + user[1:],
                    locale="nl-NL" if r % 2 else "en-US",
                    created=created,
                    is_admin=r == 0,
                )
                for r, user in enumerate(reps)
            ],
        )
        for start in range(0, plan.total, CHUNK):
            chunk = followups[start : start + CHUNK]
            conn.execute(
                insert(Lead.__table__),
                [lead_row(f["lead_id"], f["user_id"], f"lead {f['lead_id']}", f"Lead {f['lead_id']} BV",
                          "no-answer", last_call) for f in chunk],
            )  # fmt: skip
            conn.execute(insert(Nudge.__table__), chunk)
        for start in range(0, len(lists), CHUNK):
            conn.execute(insert(Nudge.__table__), lists[start : start + CHUNK])
    fix_sequences(db)
    return Seeded(
        built=plan.total + len(lists),
        followups_due=plan.due,
        listed=sum(1 for f in followups if f["due_at"].astimezone(AMSTERDAM).date() == today),
        lists_due=sum(1 for row in lists if row["due_at"] <= NOW),
    )


def list_rows(followups: list[dict[str, Any]], first_id: int, written: dt.datetime) -> list[dict[str, Any]]:
    """The day lists `daylist.schedule_list` wrote with these follow-ups: one per rep and local day, due at the
    start of that working day, or at the day's first follow-up if that is earlier."""
    days: dict[tuple[str, dt.date], dt.datetime] = {}
    for f in followups:
        key = (f["user_id"], f["due_at"].astimezone(AMSTERDAM).date())
        start = min(max(local_datetime(key[1], HOURS.start, AMSTERDAM), written), f["due_at"])
        days[key] = min(days.get(key, start), start)
    return [
        {
            "id": first_id + n,
            "team_id": TEAM,
            "user_id": user,
            "channel": None,
            "kind": LIST,
            "due_at": start,
            "status": "pending",
            "tries": 0,
            "dedupe_key": list_key(TEAM, user, day),
            "payload": {},
            "created_at": written,
        }
        for n, ((user, day), start) in enumerate(sorted(days.items()))
    ]


def fix_sequences(db: Database) -> None:
    """Ids were given explicitly: move PostgreSQL's sequences past them."""
    if db.dialect != "postgresql":
        return
    with db.engine.begin() as conn:
        for table in ("leads", "nudges"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def analyze(db: Database, plan: Plan) -> None:
    """Fresh planner statistics: autovacuum would have them on PostgreSQL; the bot never runs ANALYZE on SQLite,
    so SQLite is measured without (unless `plan.sqlite_analyze`)."""
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("nudges", "leads", "reps"):
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    elif plan.sqlite_analyze:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def count_nudges(db: Database, *where: Any) -> int:
    with db.transaction() as session:
        return session.execute(select(func.count()).select_from(Nudge).where(*where)).scalar_one()


def count_due(db: Database) -> int:
    return count_nudges(db, Nudge.status == "pending", Nudge.due_at <= NOW)


def count_listed(db: Database) -> int:
    """Follow-ups put in a list at the sweep instant."""
    return count_nudges(db, Nudge.status == "listed", Nudge.sent_at == NOW)


def execute(db: Database, sql: str, **params: Any) -> int:
    """One SQL statement in a transaction of its own; the rows it changed."""
    with db.engine.begin() as conn:
        return conn.execute(text(sql), params).rowcount


def reset_swept(db: Database, built: int) -> int:
    """Undo what the sweeps did to the built rows: the lists' state gone, every row back to pending as built, the
    rows the sweeps wrote (roll-overs into tomorrow's list) deleted. Returns the rows put back to pending."""
    start = local_datetime(NOW.astimezone(AMSTERDAM).date(), HOURS.start, AMSTERDAM)
    with db.transaction() as session:
        session.execute(FollowupList.__table__.delete())
        # A list changed after it was sent is due again at the change (NOW): today's lists were due at the day's start.
        session.execute(
            update(Nudge).where(Nudge.id <= built, Nudge.kind == LIST, Nudge.due_at == NOW).values(due_at=start)
        )
        return session.execute(
            update(Nudge)
            .where(Nudge.id <= built, Nudge.status != "pending")
            .values(
                status="pending",
                lease_until=None,
                claimed_by=None,
                sent_at=None,
                sent_channel=None,
                sent_ts=None,
                list_day=None,
                acted_at=None,
                action=None,
                last_error=None,
                tries=0,
                payload={},
            )  # fmt: skip
        ).rowcount


def remove_sweep_writes(db: Database, built: int) -> int:
    """Delete the nudges the sweeps wrote (the roll-over into the next working day's list), ids past the `built`
    ones: growing the table gives ids from there on."""
    return execute(db, "DELETE FROM nudges WHERE id > :built", built=built)


# -- first contacts: reps the bot has never messaged ---------------------------------------------------------------


def new_rep(r: int) -> str:
    return f"U1NEW{r:04d}"


def add_first_contacts(db: Database, count: int, first_id: int) -> None:
    """`count` reps without a DM channel, each with one lead (ids from `first_id`) and one due follow-up."""
    created = NOW - dt.timedelta(days=1)
    ids = range(first_id, first_id + count)
    with db.engine.begin() as conn:
        conn.execute(
            insert(Rep.__table__),
            [rep_row(new_rep(r), f"New {r}", dm_channel=None, locale="en-US", created=created) for r in range(count)],
        )
        conn.execute(
            insert(Lead.__table__),
            [lead_row(i, new_rep(r), f"new lead {r}", f"New Lead {r}", "busy", created) for r, i in enumerate(ids)],
        )
        due_at = NOW - dt.timedelta(minutes=1)
        followups = [followup_row(i, new_rep(r), i, due_at, created) for r, i in enumerate(ids)]
        conn.execute(insert(Nudge.__table__), followups)
        conn.execute(insert(Nudge.__table__), list_rows(followups, first_id + count, created))
    fix_sequences(db)


def remove_first_contacts(db: Database, first_id: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM nudges WHERE id >= :f"), {"f": first_id})
        conn.execute(text("DELETE FROM leads WHERE id >= :f"), {"f": first_id})
        conn.execute(text("DELETE FROM followup_lists WHERE user_id LIKE 'U1NEW%'"))
        conn.execute(text("DELETE FROM reps WHERE user_id LIKE 'U1NEW%'"))


# -- follow-ups that join a list already sent ----------------------------------------------------------------------


def add_joiners(db: Database, reps: int, first_id: int) -> int:
    """One new lead per rep with a follow-up due now (a call logged or a snooze ended after the day's list went
    out): it joins the sent list, which is updated in place. Returns how many."""
    written = NOW - dt.timedelta(hours=1)
    rows = [(first_id + r, rep_id(r)) for r in range(reps)]
    with db.engine.begin() as conn:
        conn.execute(
            insert(Lead.__table__),
            [lead_row(i, user, f"joiner {i}", f"Joiner {i} BV", "busy", written) for i, user in rows],
        )
        conn.execute(
            insert(Nudge.__table__),
            [followup_row(i, user, i, NOW - dt.timedelta(seconds=30), written) for i, user in rows],
        )
    fix_sequences(db)
    return len(rows)


def remove_joiners(db: Database, first_id: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM nudges WHERE lead_id >= :f"), {"f": first_id})
        conn.execute(text("DELETE FROM leads WHERE id >= :f"), {"f": first_id})


# -- a year of logged work -----------------------------------------------------------------------------------------


def add_history(db: Database, per_rep: int, reps: int, seed: int = 7) -> None:
    """`per_rep` logged activities per rep over the past year (calls mostly, some work, focus blocks and breaks),
    all ended before the sweep instant."""
    rng = random.Random(seed)
    kinds = ["call"] * 8 + ["work", "focus", "break"]

    def rows(r: int) -> Iterator[dict[str, Any]]:
        for k in range(per_rep):
            start = NOW - dt.timedelta(days=365 * (k + 1) / per_rep, minutes=rng.randrange(0, 600))
            kind = rng.choice(kinds)
            yield {
                "team_id": TEAM,
                "user_id": rep_id(r),
                "kind": kind,
                "started_at": start,
                "ended_at": start + dt.timedelta(minutes=rng.randrange(2, 60)),
                "outcome": "no-answer" if kind == "call" else None,
                "work": "calls" if kind in ("work", "focus") else None,
                "researched": False,
                "decision_maker": False,
                "note": "",
                "source": "command",
                "created_at": start,
            }

    with db.engine.begin() as conn:
        batch: list[dict[str, Any]] = []
        for r in range(reps):
            batch.extend(rows(r))
            if batch and (len(batch) >= 2 * CHUNK or r == reps - 1):
                conn.execute(insert(Activity.__table__), batch)
                batch = []


def remove_history(db: Database) -> None:
    execute(db, "DELETE FROM activities WHERE team_id = :t", t=TEAM)


# -- more rows, more due rows --------------------------------------------------------------------------------------


def grow(db: Database, first_id: int, last_id: int) -> None:
    """Add nudges first_id..last_id in SQL: even ids pending and due later (inside ix_nudges_due), odd ids sent
    history (outside both partial indexes). None of them is due."""
    if last_id < first_id:
        return
    cols = "id, team_id, user_id, kind, attempt, due_at, status, tries, dedupe_key, payload, sent_at, created_at"
    if db.dialect == "postgresql":
        sql = f"""
            INSERT INTO nudges ({cols})
            SELECT g, :team, 'U0REP' || lpad((g % 100)::text, 4, '0'), 'followup', 2,
                   CASE WHEN g % 2 = 0 THEN CAST(:now AS timestamptz) + (60 + g % 1209600) * interval '1 second'
                        ELSE CAST(:now AS timestamptz) - (3600 + g % 2592000) * interval '1 second' END,
                   CASE WHEN g % 2 = 0 THEN 'pending' ELSE 'sent' END, CASE WHEN g % 2 = 0 THEN 0 ELSE 1 END,
                   'bench-extra:' || g, '{{}}'::json,
                   CASE WHEN g % 2 = 0 THEN NULL
                        ELSE CAST(:now AS timestamptz) - (3600 + g % 2592000) * interval '1 second' END,
                   CAST(:now AS timestamptz) - interval '30 days'
            FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g
        """
    else:
        sql = f"""
            WITH RECURSIVE seq(g) AS (SELECT :first UNION ALL SELECT g + 1 FROM seq WHERE g < :last)
            INSERT INTO nudges ({cols})
            SELECT g, :team, 'U0REP' || substr('0000' || (g % 100), -4), 'followup', 2,
                   CASE WHEN g % 2 = 0 THEN datetime(:now, '+' || (60 + g % 1209600) || ' seconds') || '.000000'
                        ELSE datetime(:now, '-' || (3600 + g % 2592000) || ' seconds') || '.000000' END,
                   CASE WHEN g % 2 = 0 THEN 'pending' ELSE 'sent' END, CASE WHEN g % 2 = 0 THEN 0 ELSE 1 END,
                   'bench-extra:' || g, '{{}}',
                   CASE WHEN g % 2 = 0 THEN NULL
                        ELSE datetime(:now, '-' || (3600 + g % 2592000) || ' seconds') || '.000000' END,
                   datetime(:now, '-30 days') || '.000000'
            FROM seq
        """
    execute(db, sql, team=TEAM, now=sql_now(db), first=first_id, last=last_id)
    fix_sequences(db)


def make_backlog(db: Database, extra_due: int) -> int:
    """Make `extra_due` of the pending-later rows due in the last hour; returns how many were changed."""
    if db.dialect == "postgresql":
        due_at = "CAST(:now AS timestamptz) - (id % 3600) * interval '1 second'"
        later: Any = NOW
    else:
        due_at = "datetime(:now, '-' || (id % 3600) || ' seconds') || '.000000'"
        # As SQLAlchemy stores a DateTime on SQLite: naive UTC, microseconds always written.
        later = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    sql = f"""
        UPDATE nudges SET due_at = {due_at}
        WHERE id IN (SELECT id FROM nudges WHERE status = 'pending' AND due_at > :later ORDER BY id LIMIT :n)
    """
    return execute(db, sql, now=sql_now(db), later=later, n=extra_due)


def sql_now(db: Database) -> Any:
    """NOW as the hand-written SQL above takes it: a timestamptz on PostgreSQL, SQLite's datetime() text."""
    return NOW if db.dialect == "postgresql" else NOW.strftime("%Y-%m-%d %H:%M:%S")
