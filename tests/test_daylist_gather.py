"""A day's list gathering many follow-ups at once (bot.usecases.daylist), on rows seeded below the app.

The sweep puts a list's follow-ups in with a few statements for the lot (issue 14): these check that each one
still ends where it did when they were put one at a time: listed, reopening its snoozed line, or cancelled, and
rolled into the next working day's list, which is written once.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.storage.models import FollowupList, Lead, Nudge, Rep, Team
from bot.usecases import daylist
from bot.usecases.reps import profile_of

AMS = ZoneInfo("Europe/Amsterdam")
TEAM, USER = "T0GATHER1", "U0ANNE"
FRIDAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 14, 0, tzinfo=AMS).astimezone(dt.UTC)
MONDAY_9 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=AMS).astimezone(dt.UTC)
THURSDAY_10 = dt.datetime(2026, 11, 26, 10, 0, tzinfo=AMS).astimezone(dt.UTC)


def seed_rep(session):
    session.add(Team(id=TEAM, name="Gather", settings={}, created_at=THURSDAY_10))
    session.flush()  # no relationship tells the unit of work the rep needs its team first
    session.add(Rep(team_id=TEAM, user_id=USER, name="Anne", tz="Europe/Amsterdam", created_at=THURSDAY_10))
    session.flush()


def lead(session, name, cadence="active", unreached=1):
    row = Lead(
        team_id=TEAM,
        key=name.lower(),
        name=name,
        owner_id=USER,
        attempts=unreached,
        unreached_attempts=unreached,
        cadence=cadence,
        last_outcome="no-answer",
        last_attempt_at=THURSDAY_10,
        created_at=THURSDAY_10,
    )
    session.add(row)
    session.flush()
    return row


def followup(session, lead_row, key, due, **fields):
    values = {"status": "pending", "tries": 0, "payload": {}, "created_at": THURSDAY_10, **fields}
    row = Nudge(team_id=TEAM, user_id=USER, kind="followup", lead_id=lead_row.id, attempt=2, due_at=due, dedupe_key=key)
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def list_nudge(session, key, due, **fields):
    row = Nudge(team_id=TEAM, user_id=USER, kind=daylist.LIST, due_at=due, dedupe_key=key, tries=0, created_at=due)
    row.status, row.payload = "sending", {}
    for name, value in fields.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def profile(session):
    return profile_of(session.get(Rep, (TEAM, USER)), session.get(Team, TEAM))


def by_key(session):
    return {n.dedupe_key: n for n in session.scalars(select(Nudge).where(Nudge.team_id == TEAM))}


def test_a_list_sent_puts_every_follow_up_due_today_and_rolls_each_into_mondays_list_once(db):
    with db.transaction() as s:
        seed_rep(s)
        acme, initech, globex, gone = (lead(s, n) for n in ("Acme", "Initech", "Globex", "Gone"))
        gone.cadence = "reached"
        followup(s, acme, "f:acme", NOW - dt.timedelta(hours=3))
        followup(
            s, initech, "f:initech", NOW - dt.timedelta(hours=2), payload={"first_due": "2026-11-25T09:00:00+00:00"}
        )
        followup(s, globex, "f:globex", NOW + dt.timedelta(hours=2))  # later today: in the list too
        followup(s, gone, "f:gone", NOW - dt.timedelta(hours=1))
        followup(s, acme, "f:monday", MONDAY_9)  # another day's: not in today's list
        sending = list_nudge(s, daylist.list_key(TEAM, USER, FRIDAY), NOW)
        decision = daylist.decide_list(s, sending, profile(s), NOW)
    assert decision.message is not None and decision.cancel_reason is None
    text = str(decision.message["blocks"])
    assert all(name in text for name in ("Acme", "Initech", "Globex")) and "Gone" not in text
    with db.transaction() as s:
        rows = by_key(s)
        assert [rows[k].status for k in ("f:acme", "f:initech", "f:globex")] == ["listed"] * 3
        assert {rows[k].list_day for k in ("f:acme", "f:initech", "f:globex")} == {FRIDAY}
        assert rows["f:gone"].status == "cancelled" and rows["f:gone"].last_error == "lead moved on"
        assert rows["f:monday"].status == "pending"
        rolled = {k: n for k, n in rows.items() if k.startswith("roll:")}
        assert sorted(rolled) == sorted(f"roll:{rows[k].id}" for k in ("f:acme", "f:initech", "f:globex"))
        assert all(n.status == "pending" and n.kind == "followup" and n.due_at == MONDAY_9 for n in rolled.values())
        # "Still open since" tells the first due moment: the line's own, or the one it rolled in with.
        first_due = {n.lead_id: n.payload["first_due"] for n in rolled.values()}
        assert first_due[initech.id] == "2026-11-25T09:00:00+00:00"
        assert dt.datetime.fromisoformat(first_due[acme.id]) == NOW - dt.timedelta(hours=3)
        mondays = [n for n in rows.values() if n.kind == daylist.LIST and n.dedupe_key.endswith("2026-11-30")]
        assert len(mondays) == 1 and mondays[0].due_at == MONDAY_9 and mondays[0].status == "pending"
        listed = s.get(FollowupList, (TEAM, USER, FRIDAY))
        assert listed is not None and listed.nudge_id == sending.id
        assert s.get(Nudge, sending.id).payload == {"day": "2026-11-27", "shown": 0}


def test_a_held_over_list_reopens_several_snoozed_lines_and_merges_into_the_list_sent(db):
    with db.transaction() as s:
        seed_rep(s)
        acme, initech, globex, umbrella, stark = (
            lead(s, n) for n in ("Acme", "Initech", "Globex", "Umbrella", "Stark")
        )
        logged = lead(s, "Logged", unreached=2)
        # Friday's list, sent at 09:00: Acme and Initech snoozed for an hour, Globex open, Logged done.
        sent = list_nudge(
            s, daylist.list_key(TEAM, USER, FRIDAY), NOW, status="sent", sent_ts="1.0", sent_channel="D0ANNE"
        )
        s.add(FollowupList(team_id=TEAM, user_id=USER, day=FRIDAY, nudge_id=sent.id, version=3, created_at=NOW))
        line = {"status": "listed", "list_day": FRIDAY, "sent_at": NOW - dt.timedelta(hours=5)}
        snoozed = {"acted_at": NOW - dt.timedelta(hours=1), "action": "followup_snooze_hour"}
        acme_line = followup(
            s, acme, "line:acme", NOW - dt.timedelta(days=2), **line, **snoozed,
            payload={"first_due": "2026-11-24T09:00:00+00:00", "done": "Snoozed"},
        )  # fmt: skip
        initech_line = followup(s, initech, "line:initech", NOW - dt.timedelta(hours=6), **line, **snoozed)
        followup(s, globex, "line:globex", NOW - dt.timedelta(hours=6), **line)
        followup(
            s, logged, "line:logged", NOW - dt.timedelta(hours=6), **line,
            acted_at=NOW - dt.timedelta(hours=2), action="followup_log_no_answer",
        )  # fmt: skip
        # Due now: the two snoozes, a second follow-up on the open Globex, and two new ones.
        followup(s, acme, "snooze:acme", NOW)
        followup(s, initech, "snooze:initech", NOW)
        followup(s, globex, "again:globex", NOW - dt.timedelta(minutes=30))
        followup(s, umbrella, "f:umbrella", NOW - dt.timedelta(minutes=20))
        followup(s, stark, "f:stark", NOW - dt.timedelta(minutes=10))
        # Thursday's list, held over to now (never sent): it gathers what is due and hands it to Friday's.
        held = list_nudge(s, daylist.list_key(TEAM, USER, FRIDAY - dt.timedelta(days=1)), NOW)
        decision = daylist.decide_list(s, held, profile(s), NOW)
    assert decision.cancel_reason == "merged into the day's list"
    with db.transaction() as s:
        rows = by_key(s)
        for key, reason in (
            ("snooze:acme", "its line in the day's list opened again"),
            ("snooze:initech", "its line in the day's list opened again"),
            ("again:globex", "already open in the day's list"),
        ):
            assert (rows[key].status, rows[key].last_error) == ("cancelled", reason)
        for line_row in (rows["line:acme"], rows["line:initech"]):  # open again, in place
            assert line_row.status == "listed" and line_row.acted_at is None and line_row.action is None
            assert line_row.sent_at == NOW and "done" not in line_row.payload
        assert rows["line:logged"].action == "followup_log_no_answer"  # done stays done
        assert [rows[k].status for k in ("f:umbrella", "f:stark")] == ["listed", "listed"]
        assert {rows[k].list_day for k in ("f:umbrella", "f:stark")} == {FRIDAY}
        rolled = {k: n for k, n in rows.items() if k.startswith("roll:")}
        put = ("snooze:acme", "snooze:initech", "f:umbrella", "f:stark")
        assert sorted(rolled) == sorted(f"roll:{rows[k].id}" for k in put)
        first_due = {n.lead_id: n.payload["first_due"] for n in rolled.values()}
        assert first_due[acme.id] == "2026-11-24T09:00:00+00:00"  # the reopened line's, not the snooze's
        assert dt.datetime.fromisoformat(first_due[initech.id]) == initech_line.due_at
        assert all(n.due_at == MONDAY_9 for n in rolled.values())
        assert len([n for n in rows.values() if n.dedupe_key == daylist.list_key(TEAM, USER, MONDAY_9.date())]) == 1
        # The list sent is changed once and due again now, to show the lot.
        listed = s.get(FollowupList, (TEAM, USER, FRIDAY))
        assert listed.version == 4
        assert rows[sent.dedupe_key].status == "pending" and rows[sent.dedupe_key].due_at == NOW
        assert acme_line.id == rows["line:acme"].id


def test_a_follow_up_joining_a_list_sent_reopens_its_snoozed_line_and_rolls_over(db):
    with db.transaction() as s:
        seed_rep(s)
        acme = lead(s, "Acme")
        sent = list_nudge(
            s, daylist.list_key(TEAM, USER, FRIDAY), NOW, status="sent", sent_ts="1.0", sent_channel="D0ANNE"
        )
        s.add(FollowupList(team_id=TEAM, user_id=USER, day=FRIDAY, nudge_id=sent.id, version=1, created_at=NOW))
        followup(
            s, acme, "line:acme", NOW - dt.timedelta(hours=5), status="listed", list_day=FRIDAY,
            acted_at=NOW - dt.timedelta(hours=1), action="followup_snooze_hour", payload={"done": "Snoozed"},
        )  # fmt: skip
        joining = followup(s, acme, "snooze:acme", NOW, status="sending")
        decision = daylist.join(s, profile(s), joining, NOW)
    assert decision.listed
    with db.transaction() as s:
        rows = by_key(s)
        assert rows["snooze:acme"].status == "cancelled" and rows["line:acme"].acted_at is None
        assert rows[f"roll:{joining.id}"].due_at == MONDAY_9
        assert s.get(FollowupList, (TEAM, USER, FRIDAY)).version == 2
        assert rows[sent.dedupe_key].status == "pending"


def test_held_entries_say_why_and_plain_strings_stored_before_that_were_the_budgets():
    row = FollowupList(
        held=[
            "a break suggestion stored as a plain string",
            {"why": daylist.FOCUS, "text": "the focus summary"},
            {"why": daylist.BUDGET, "text": "a break suggestion"},
        ]
    )
    assert daylist._held(row) == (
        ["the focus summary"],
        ["a break suggestion stored as a plain string", "a break suggestion"],
    )
    assert daylist._held(None) == ([], [])
