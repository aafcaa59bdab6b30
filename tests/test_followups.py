"""Follow-up cadences and break nudges, end to end: the outbox, the sweep, Slack's failures, the buttons."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update

from bot import runtime as runtime_module
from bot.outbox import sweep as outbox_sweep
from bot.slack.standin import texts
from bot.storage.models import Activity, Lead, Nudge, Rep, Team
from bot.usecases import daylist as daylist_module
from bot.usecases.reps import profile_of
from tests.conftest import make_config

AMS, LON, NYC = ZoneInfo("Europe/Amsterdam"), ZoneInfo("Europe/London"), ZoneInfo("America/New_York")


def local(tz, *args):
    return dt.datetime(*args, tzinfo=tz).astimezone(dt.UTC)


def nudges(coachbot, **where):
    with coachbot.db.transaction() as s:
        query = select(Nudge).order_by(Nudge.id)
        for key, value in where.items():
            query = query.where(getattr(Nudge, key) == value)
        return list(s.scalars(query))


def followup_dms(coachbot, lead, since=0):
    """The day lists (DMs) that name `lead`."""
    return [p for p in coachbot.dms(since) if lead.casefold() in texts(p).casefold()]


def list_rows(coachbot):
    """The outbox rows of the day lists."""
    return nudges(coachbot, kind="followup_list")


def line_id(message, lead):
    """The nudge id behind the buttons of `lead`'s line in a day list."""
    blocks = message["blocks"]
    for i, block in enumerate(blocks[:-1]):
        if block["type"] == "section" and lead in block["text"]["text"] and blocks[i + 1]["type"] == "actions":
            return blocks[i + 1]["elements"][0]["value"]
    raise AssertionError(f"no open line for {lead}")


def test_an_unreached_call_writes_its_follow_up_and_the_sweep_lists_it_once(coachbot, slack):
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))  # Thursday
    coachbot.slash("/call", "Acme BV no-answer")  # Sam, London
    followup, day_list = nudges(coachbot)
    assert (followup.kind, followup.status, followup.attempt) == ("followup", "pending", 2)
    assert followup.due_at == local(LON, 2026, 11, 27, 11, 0)
    # Written in the same transaction: Friday's list, at the start of Sam's working day.
    assert (day_list.kind, day_list.status, day_list.due_at) == (
        "followup_list",
        "pending",
        local(LON, 2026, 11, 27, 9),
    )
    assert coachbot.sweep(local(LON, 2026, 11, 27, 8, 59)).sent == 0
    assert coachbot.sweep(local(LON, 2026, 11, 27, 9, 0)).sent == 1
    [dm] = followup_dms(coachbot, "Acme BV")
    shown = texts(dm)
    assert "attempt 2 of 6" in shown and "no answer" in shown and "93% of converted leads" in shown
    assert dm["channel"] == "D0SAM"
    # One primary button per set (Slack's guideline): "reached". Stop is a menu that asks why.
    styles = [
        {e["action_id"]: e["style"] for e in b["elements"] if "style" in e}
        for b in dm["blocks"]
        if b["type"] == "actions"
    ]
    assert styles == [{"followup_log_reached": "primary"}]
    [stop] = [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"] if e["type"] == "static_select"]
    assert [o["text"]["text"] for o in stop["options"]] == [
        "not a fit",
        "bought elsewhere",
        "wrong number",
        "asked not to be called",
        "other reason",
    ]
    mark = slack.mark()
    assert coachbot.sweep(local(LON, 2026, 11, 27, 11, 5)).sent == 0
    assert followup_dms(coachbot, "Acme BV", mark) == []
    assert nudges(coachbot, id=followup.id)[0].status == "listed"
    # Should Sam leave it open, it rolls into Monday's list.
    [rolled] = [n for n in nudges(coachbot, kind="followup") if n.dedupe_key.startswith("roll:")]
    assert rolled.status == "pending" and rolled.due_at == local(LON, 2026, 11, 30, 9, 0)


def test_a_reached_outcome_ends_the_cadence_and_cancels_what_is_pending(coachbot):
    coachbot.slash("/call", "Acme BV voicemail")
    coachbot.clock.advance(hours=1)
    coachbot.slash("/call", "Acme BV connected +dm")
    assert [n.status for n in nudges(coachbot, kind="followup")] == ["cancelled"]
    assert coachbot.sweep(coachbot.clock() + dt.timedelta(days=7)).sent == 0
    assert [n.status for n in list_rows(coachbot)] == ["cancelled"]  # nothing due that day: no list
    with coachbot.db.transaction() as s:
        assert s.scalar(select(Lead.cadence)) == "reached"


def test_the_cadence_never_goes_past_eight_attempts(coachbot):
    for _ in range(8):
        reply = coachbot.slash("/call", "Acme BV busy")
        coachbot.clock.advance(days=1)
    assert "attempt 8" in reply.text and "nurture" in reply.text
    assert len(nudges(coachbot, kind="followup")) == 7
    assert len(nudges(coachbot, kind="followup", status="pending")) == 0


def test_amsterdam_and_new_york_reps_are_nudged_in_their_own_working_hours(coachbot):
    # Friday 16:30 in each zone: the next attempt is Monday 16:30 local, never the weekend.
    coachbot.clock.set(local(AMS, 2026, 11, 27, 16, 30))
    coachbot.slash("/call", "Bakkerij Jansen geen-gehoor", user="U0ANOUK")
    coachbot.clock.set(local(NYC, 2026, 11, 27, 16, 30))
    coachbot.slash("/call", "Big Apple Inc no-answer", user="U0JORDAN")
    anouk, jordan = nudges(coachbot, kind="followup")
    assert anouk.due_at == local(AMS, 2026, 11, 30, 16, 30)
    assert jordan.due_at == local(NYC, 2026, 11, 30, 16, 30)
    for hour in range(0, 24 * 3, 1):  # sweep every hour from Saturday to Monday, as the clock would
        coachbot.sweep(local(dt.UTC, 2026, 11, 28, 0, 0) + dt.timedelta(hours=hour))
    sent = [(n.user_id, n.sent_at) for n in list_rows(coachbot) if n.status == "sent"]
    assert sorted(user for user, _ in sent) == ["U0ANOUK", "U0JORDAN"]
    for user, at in sent:
        when = at.astimezone(AMS if user == "U0ANOUK" else NYC)
        assert when.weekday() < 5 and (when.hour, when.minute) == (9, 0), (user, when)
    assert len(followup_dms(coachbot, "Bakkerij Jansen")) == 1
    assert "*Bakkerij Jansen*: poging 2 van 6" in texts(followup_dms(coachbot, "Bakkerij Jansen")[0])  # Dutch


def test_what_falls_due_off_hours_goes_out_at_the_next_working_moment_once(coachbot):
    coachbot.clock.set(local(AMS, 2026, 11, 26, 16, 55))
    coachbot.slash("/call", "Nachtwerk BV bezet", user="U0ANOUK")
    # The clock was down all day Friday: the first sweep after the due time is at 23:00, then through the night.
    assert coachbot.sweep(local(AMS, 2026, 11, 27, 23, 0)).deferred == 2  # the follow-up and its day's list
    for nudge in nudges(coachbot):
        assert nudge.status == "pending" and nudge.due_at == local(AMS, 2026, 11, 30, 9, 0)  # Monday 09:00
    for hour in range(1, 61):
        coachbot.sweep(local(AMS, 2026, 11, 27, 23, 0) + dt.timedelta(hours=hour))
    [day_list] = [n for n in list_rows(coachbot) if n.status == "sent"]
    assert day_list.sent_at == local(AMS, 2026, 11, 30, 9, 0)
    assert len(followup_dms(coachbot, "Nachtwerk BV")) == 1


def test_daylight_saving_weekend_keeps_the_reps_local_time(coachbot):
    coachbot.clock.set(local(AMS, 2026, 3, 27, 9, 30))  # Friday before the clocks go forward
    coachbot.slash("/call", "Lente BV geen-gehoor", user="U0ANOUK")
    [nudge] = nudges(coachbot, kind="followup")
    assert nudge.due_at.astimezone(AMS).replace(tzinfo=None) == dt.datetime(2026, 3, 30, 9, 30)
    assert nudge.due_at == dt.datetime(2026, 3, 30, 7, 30, tzinfo=dt.UTC)


def test_a_restart_with_pending_rows_delivers_them_from_a_new_process(coachbot, slack, db, clock):
    coachbot.slash("/call", "Acme BV no-answer")
    coachbot.slash("/call", "Initech voicemail")
    coachbot.close()  # the first process is gone
    fresh = runtime_module.build(make_config(slack, db.url), clock=clock, db=db)
    report = fresh.sweeper.sweep(clock() + dt.timedelta(days=1))
    assert report.sent == 1  # one list with both
    [dm] = coachbot.dms()
    assert "Acme BV" in texts(dm) and "Initech" in texts(dm) and not slack.of("chat.update")
    assert [n.status for n in nudges(coachbot, kind="followup")][:2] == ["listed", "listed"]
    fresh.close()


def three_reps_due(coachbot):
    """A follow-up for Sam, Anouk and Jordan, and the moment all three are at work to get their lists."""
    for user in ("U0SAM", "U0ANOUK", "U0JORDAN"):
        coachbot.slash("/call", f"Lead of {user} no-answer", user=user)
    return local(NYC, 2026, 11, 27, 10, 0)  # Friday: 15:00 in London, 16:00 in Amsterdam


def test_a_stopped_sweeper_sends_the_nudge_in_hand_and_gives_the_rest_back_at_once(
    coachbot, slack, db, clock, monkeypatch
):
    due = three_reps_due(coachbot)
    sweeper = coachbot.runtime.sweeper
    post = sweeper.post

    def post_then_stop(*args):  # the process is told to stop while its sweep sends the first list
        ts = post(*args)
        sweeper.stop()
        return ts

    monkeypatch.setattr(sweeper, "post", post_then_stop)
    report = coachbot.sweep(due)
    assert report.sent == 1
    assert coachbot.sweep(due).sent == 0  # a stopped sweeper sends nothing more
    waiting = [n for n in nudges(coachbot) if n.status == "pending" and n.due_at <= due]
    assert waiting and all(n.lease_until is None and n.claimed_by is None for n in waiting)
    assert not nudges(coachbot, status="sending")
    # Another process sends the rest now, not after the stopped one's lease has run out.
    fresh = runtime_module.build(make_config(slack, db.url), clock=clock, db=db)
    assert fresh.sweeper.sweep(due).sent == 2
    assert sorted(p["channel"] for p in coachbot.dms()) == ["D0ANOUK", "D0JORDAN", "D0SAM"]
    fresh.close()


def friday_list(coachbot):
    [day_list] = [n for n in list_rows(coachbot) if n.dedupe_key.endswith("2026-11-27")]
    return day_list


def test_a_row_left_sending_by_a_crashed_sweeper_is_retried_after_its_lease(coachbot):
    coachbot.slash("/call", "Acme BV no-answer")
    due = nudges(coachbot)[0].due_at
    with coachbot.db.transaction() as s:  # a sweeper claimed them, then died before sending
        s.execute(
            update(Nudge).values(status="sending", claimed_by="dead:1", lease_until=due + dt.timedelta(minutes=5))
        )
    assert coachbot.sweep(due + dt.timedelta(minutes=1)).sent == 0  # still leased
    assert coachbot.sweep(due + dt.timedelta(minutes=6)).sent == 1
    assert len(followup_dms(coachbot, "Acme BV")) == 1


def test_a_429_reschedules_by_retry_after_and_never_sends_twice(coachbot, slack):
    coachbot.slash("/call", "Acme BV no-answer")
    due = friday_list(coachbot).due_at
    slack.fail("chat.postMessage", 429, times=1, retry_after=30)
    report = coachbot.sweep(due)
    assert report.sent == 0 and report.retried == 1
    day_list = friday_list(coachbot)
    assert day_list.status == "pending" and day_list.due_at == due + dt.timedelta(seconds=30)
    assert day_list.last_error == "ratelimited"
    assert coachbot.sweep(due + dt.timedelta(seconds=29)).sent == 0
    assert coachbot.sweep(due + dt.timedelta(seconds=30)).sent == 1
    assert len(slack.of("chat.postMessage")) == 2  # the refused one and the delivered one
    assert len(followup_dms(coachbot, "Acme BV")) == 2 and friday_list(coachbot).status == "sent"


def test_a_500_retries_later_with_backoff(coachbot, slack):
    coachbot.slash("/call", "Acme BV no-answer")
    due = friday_list(coachbot).due_at
    slack.fail("chat.postMessage", 500, times=2)
    assert coachbot.sweep(due).retried == 1
    first = friday_list(coachbot)
    assert first.tries == 1 and first.due_at == due + dt.timedelta(seconds=30)
    assert coachbot.sweep(first.due_at).retried == 1
    second = friday_list(coachbot)
    assert second.tries == 2 and second.due_at == first.due_at + dt.timedelta(seconds=60)
    assert coachbot.sweep(second.due_at).sent == 1


def test_a_database_error_in_one_decision_retries_that_nudge_and_the_batch_goes_on(coachbot, monkeypatch):
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))
    coachbot.slash("/call", "Acme BV no-answer")  # Sam (London): his Friday list
    coachbot.slash("/call", "Initech no-answer", user="U0ANOUK")  # Anouk (Amsterdam): hers, due an hour earlier
    sweeper = coachbot.runtime.sweeper
    decide, spoilt = sweeper.decide, []

    def spoils_the_first(session, nudge, now, prepared):
        if not spoilt:
            spoilt.append(nudge.id)
            session.execute(text("SELECT * FROM no_such_table"))  # the database refuses: the transaction is spoilt
        return decide(session, nudge, now, prepared)

    monkeypatch.setattr(sweeper, "decide", spoils_the_first)
    due = local(LON, 2026, 11, 27, 9, 0)
    report = coachbot.sweep(due)
    assert (report.sent, report.retried) == (1, 1)  # the other list went out in the same sweep
    [retried] = nudges(coachbot, id=spoilt[0])
    assert (retried.status, retried.tries, retried.due_at) == ("pending", 1, due + dt.timedelta(seconds=30))
    assert retried.last_error.startswith("database: ")
    assert coachbot.sweep(due + dt.timedelta(seconds=30)).sent == 1
    assert sorted(p["channel"] for p in coachbot.dms()) == ["D0ANOUK", "D0SAM"]


def test_a_lost_connection_while_marking_a_nudge_sent_is_tried_once_more_not_sent_again(coachbot, db, monkeypatch):
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))
    coachbot.slash("/call", "Acme BV no-answer")
    sweeper = coachbot.runtime.sweeper
    after_sent, failed = sweeper.after_sent, []

    def loses_the_first(session, nudge, now):
        if not failed:
            failed.append(nudge.id)
            if db.dialect == "postgresql":  # the server ends this connection, as a restart or a failover would
                session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
            else:
                session.execute(text("SELECT * FROM no_such_table"))  # SQLite: an OperationalError of its own
        return after_sent(session, nudge, now)

    monkeypatch.setattr(sweeper, "after_sent", loses_the_first)
    report = coachbot.sweep(local(LON, 2026, 11, 27, 9, 0))
    assert report.sent == 1 and failed
    assert len(coachbot.dms()) == 1
    [day_list] = list_rows(coachbot)[:1]
    assert day_list.status == "sent" and day_list.sent_ts
    # Nothing is left for a later sweep to send again.
    assert coachbot.sweep(local(LON, 2026, 11, 27, 9, 10)).sent == 0 and len(coachbot.dms()) == 1


def test_a_slack_error_no_retry_cures_marks_the_nudge_failed(coachbot, slack, monkeypatch):
    coachbot.slash("/call", "Acme BV no-answer")
    due = friday_list(coachbot).due_at
    original = slack._body

    def refuse(method, params):
        if method == "chat.postMessage":
            return {"ok": False, "error": "user_not_found"}
        return original(method, params)

    monkeypatch.setattr(slack, "_body", refuse)
    assert coachbot.sweep(due).failed == 1
    assert friday_list(coachbot).status == "failed" and friday_list(coachbot).last_error == "user_not_found"


def test_two_sweepers_at_once_send_each_list_exactly_once(coachbot, slack, db, clock):
    for i in range(60):
        coachbot.slash("/call", f"Lead {i:02d} BV no-answer", user=("U0SAM", "U0ANOUK", "U0JORDAN")[i % 3])
    due = local(NYC, 2026, 12, 3, 10, 0)  # a Thursday when all three reps are at work (16:00 in Amsterdam)
    sweepers = [runtime_module.build(make_config(slack, db.url), clock=clock, db=db).sweeper for _ in range(2)]
    start = threading.Barrier(2)
    reports = []

    def run(sweeper):
        start.wait()
        reports.append(sweeper.sweep(due, limit=7))

    threads = [threading.Thread(target=run, args=(s,)) for s in sweepers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in reports) == 3  # one list a rep
    assert all(r.sent + r.listed > 0 for r in reports) or db.dialect == "sqlite"
    assert sorted(p["channel"] for p in coachbot.dms()) == ["D0ANOUK", "D0JORDAN", "D0SAM"]
    # However the two sweepers interleaved, each rep's list ends up showing every one of their leads, once.
    for user in ("U0SAM", "U0ANOUK", "U0JORDAN"):
        channel = "D" + user[1:]
        shown = [
            c.params for c in slack.of("chat.postMessage") + slack.of("chat.update") if c.params["channel"] == channel
        ]
        final = texts(max(shown, key=lambda p: slack_order(slack, p)))
        for i in range(user_index(user), 60, 3):
            assert final.count(f"Lead {i:02d} BV") == 1, (user, i)


def test_a_follow_up_another_sweeper_claims_while_the_list_gathers_is_left_to_it(coachbot, db, monkeypatch):
    """The list's sweeper reads the day's follow-ups, then lists them: one claimed in between is not taken from its
    claimer (whose `join` would then find it open in the list and cancel it, its line gone)."""
    if db.dialect == "sqlite":
        pytest.skip("SQLite's writers take turns: no claim can land between the list's read and its write")
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))
    for lead in ("Acme BV", "Bolt BV", "Crane BV"):
        coachbot.slash("/call", f"{lead} no-answer")
    put, claimed = daylist_module._put, []

    def claimed_meanwhile(session, rep, day, rows, now):
        if not claimed:  # the list gathering: another sweeper claims every due row, in its own transaction
            claimed.extend(outbox_sweep.claim(db, now, "other-sweeper"))
        return put(session, rep, day, rows, now)

    monkeypatch.setattr(daylist_module, "_put", claimed_meanwhile)
    friday = local(LON, 2026, 11, 27, 11, 0)  # the list (due at 09:00) and the follow-ups are due
    sweeper = runtime_module.build(make_config(coachbot.slack, db.url), clock=coachbot.clock, db=db).sweeper
    report = sweeper.sweep(friday, limit=1)  # the list alone first: it is due first
    assert report.sent == 1
    # The follow-ups were locked by the gathering: the other sweeper's claim skipped them, and the list has them.
    assert [kind for _, kind in claimed] == []
    listed = nudges(coachbot, kind="followup", status="listed")
    assert len(listed) == 3 and all(n.claimed_by != "other-sweeper" for n in listed)
    assert all(name in texts(coachbot.dms()[-1]) for name in ("Acme BV", "Bolt BV", "Crane BV"))


def user_index(user):
    return ("U0SAM", "U0ANOUK", "U0JORDAN").index(user)


def slack_order(slack, params):
    return next(n for n, c in enumerate(slack.since(0)) if c.params is params)


# -- the buttons on a follow-up ---------------------------------------------------------------------------------


@pytest.fixture
def delivered(coachbot):
    """Sam's list with his follow-up on Acme BV, delivered Friday 09:00 London; he clicks at 11:00."""
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))
    coachbot.slash("/call", "Acme BV no-answer")
    coachbot.sweep(local(LON, 2026, 11, 27, 9, 0))
    coachbot.clock.set(local(LON, 2026, 11, 27, 11, 0))
    [dm] = coachbot.dms()
    return line_id(dm, "Acme BV")


def replaced(slack, since):
    [update_] = slack.wait_for("response_url", since=since)
    assert update_.params.get("replace_original") in (True, "true")
    return texts(update_.params)


def updated(slack, since):
    [update_] = slack.wait_for("chat.update", since=since)
    return texts(update_.params)


def test_logging_an_attempt_from_the_list_logs_once_however_often_it_is_clicked(coachbot, slack, delivered):
    mark = slack.mark()
    assert coachbot.click("followup_log_no_answer", delivered).status == 200
    shown = updated(slack, mark)
    assert (
        "Logged attempt 2 on *Acme BV*: no answer" in shown and "Next attempt" in shown and "1 of 1 done" not in shown
    )
    mark = slack.mark()
    assert coachbot.click("followup_log_no_answer", delivered).status == 200
    [answer] = slack.wait_for("response_url", since=mark)
    assert "Already handled" in texts(answer.params) and answer.params.get("response_type") == "ephemeral"
    assert slack.since(mark, "chat.update") == []
    with coachbot.db.transaction() as s:
        assert len(s.scalars(select(Activity).where(Activity.kind == "call")).all()) == 2
        lead = s.scalar(select(Lead))
        assert (lead.attempts, lead.unreached_attempts) == (2, 2)
    pending = nudges(coachbot, kind="followup", status="pending")
    assert [(n.attempt, n.due_at) for n in pending] == [(3, local(LON, 2026, 11, 30, 11, 0))]


def test_a_double_click_at_the_same_moment_logs_once(coachbot, slack, delivered):
    mark = slack.mark()
    threads = [threading.Thread(target=coachbot.click, args=("followup_log_meeting", delivered)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers = slack.wait_for("response_url", count=3, since=mark)  # the work after each ack is done
    assert all("Already handled" in texts(a.params) for a in answers)
    assert "meeting booked" in texts(slack.wait_for("chat.update", since=mark)[0].params)
    with coachbot.db.transaction() as s:
        assert s.scalar(select(Lead.attempts)) == 2
        assert s.scalar(select(Lead.cadence)) == "reached"


def test_snooze_an_hour_from_the_list(coachbot, slack, delivered):
    mark = slack.mark()
    coachbot.click("followup_snooze_hour", delivered)
    assert "Snoozed" in updated(slack, mark)
    [snoozed] = nudges(coachbot, kind="followup", status="pending")
    assert snoozed.due_at == local(LON, 2026, 11, 27, 12, 0) and snoozed.attempt == 2
    mark = slack.mark()
    report = coachbot.sweep(local(LON, 2026, 11, 27, 12, 0))
    assert report.listed == 1 and report.updated == 1
    assert "Snoozed" not in texts(slack.since(mark, "chat.update")[-1].params)  # the line is open again
    assert line_id(slack.since(mark, "chat.update")[-1].params, "Acme BV") == delivered


def test_snooze_to_the_next_business_day(coachbot, slack, delivered):
    coachbot.click("followup_snooze_next_day", delivered)
    slack.wait_for("chat.update")
    [pending] = nudges(coachbot, kind="followup", status="pending")
    assert pending.due_at == local(LON, 2026, 11, 30, 11, 0)
    # The roll-over to Monday is replaced by the snooze: one line on Monday's list, not two.
    assert [n.status for n in nudges(coachbot, kind="followup") if n.dedupe_key.startswith("roll:")] == ["cancelled"]
    mark = slack.mark()
    coachbot.sweep(local(LON, 2026, 11, 30, 9, 0))
    [monday] = coachbot.dms(mark)
    assert texts(monday).count("Acme BV") == 1


def test_stop_ends_the_cadence(coachbot, slack, delivered):
    mark = slack.mark()
    coachbot.click("followup_stop", delivered)
    assert "Stopped following up *Acme BV*" in updated(slack, mark)
    with coachbot.db.transaction() as s:
        assert s.scalar(select(Lead.cadence)) == "stopped"
    assert nudges(coachbot, kind="followup", status="pending") == []


def test_a_button_on_someone_elses_nudge_changes_nothing(coachbot, slack, delivered):
    mark = slack.mark()
    coachbot.click("followup_log_meeting", delivered, user="U0ANOUK")
    coachbot.click("followup_log_meeting", "not-a-number")
    slack.wait_for("response_url", count=2, since=mark)
    with coachbot.db.transaction() as s:
        assert s.scalar(select(Lead.attempts)) == 1


# -- breaks and focus -------------------------------------------------------------------------------------------


def test_ninety_minutes_without_a_break_brings_one_break_dm_per_streak(coachbot, slack):
    coachbot.clock.set(local(AMS, 2026, 11, 26, 9, 0))
    for _ in range(10):  # a call every 10 minutes: 90 minutes of continuous calling
        coachbot.slash("/call", "Blitz BV geen-gehoor", user="U0ANOUK")
        coachbot.clock.advance(minutes=10)
    breaks = nudges(coachbot, kind="break")
    assert len(breaks) == 1 and breaks[0].due_at == local(AMS, 2026, 11, 26, 10, 30)
    coachbot.slash("/call", "Blitz BV geen-gehoor", user="U0ANOUK")  # the streak goes on: still one
    assert len(nudges(coachbot, kind="break")) == 1
    coachbot.sweep()
    [dm] = [p for p in coachbot.dms() if "pauze" in texts(p)]
    assert "100 minuten" in texts(dm) and "Albulescu" in texts(dm)
    mark = slack.mark()
    coachbot.click("break_start", str(breaks[0].id), user="U0ANOUK")
    assert "Pauze gestart" in replaced(slack, mark)
    with coachbot.db.transaction() as s:
        assert s.scalar(select(Activity.kind).where(Activity.kind == "break")) == "break"


def test_a_break_taken_before_the_nudge_goes_out_cancels_it(coachbot):
    coachbot.clock.set(local(AMS, 2026, 11, 26, 9, 0))
    coachbot.slash("/log", "admin 95 CRM cleanup", user="U0ANOUK")
    assert len(nudges(coachbot, kind="break", status="pending")) == 1
    coachbot.slash("/pauze", "", user="U0ANOUK")
    assert nudges(coachbot, kind="break")[0].status == "cancelled"
    assert coachbot.sweep().sent == 0


def test_a_focus_block_holds_the_list_and_ends_with_a_summary(coachbot, slack):
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))
    coachbot.slash("/call", "Acme BV no-answer")
    coachbot.clock.set(local(LON, 2026, 11, 27, 8, 50))  # Friday, before the day's list
    coachbot.slash("/focus", "calls 60")
    for lead in ("Initech meeting +dm", "Globex no-answer"):
        coachbot.clock.advance(minutes=10)
        coachbot.slash("/call", lead)
    slipped = coachbot.slash("/log", "email 5 quick reply")
    assert "slipped into your focus time" in texts(slipped.body)  # the block's tip (M402), in the reply
    assert coachbot.sweep(local(LON, 2026, 11, 27, 9, 0)).deferred == 1  # the day's list waits
    assert friday_list(coachbot).due_at == local(LON, 2026, 11, 27, 9, 50)
    report = coachbot.sweep(local(LON, 2026, 11, 27, 9, 50))
    # The summary and the list fall due together: one DM, the list, with the summary under its header.
    assert report.sent == 1
    [dm] = coachbot.dms()
    assert texts(dm).startswith("*Your follow-ups for Fri 27 Nov*: 0 of 1 done")
    summary = dm["blocks"][1]["elements"][0]["text"]
    assert summary.startswith("Sent with this list, not as a message of its own: Your calls focus block of 60 min")
    assert "In the block: 2 calls, 1 conversation, 1 meeting" in summary and "email" in summary
    assert "Work logged in the block" not in summary  # the 5 min of email are the slip, not the block's work
    assert "Other kinds of work slipped in: email." in summary and "park them" not in summary  # the tip said so
    assert "Acme BV" in texts(dm)
    [rode] = nudges(coachbot, kind="focus_summary")
    assert (rode.status, rode.last_error) == ("cancelled", "sent with the day's list")
    # The list changes in place later in the day: the summary stays in it.
    coachbot.clock.set(local(LON, 2026, 11, 27, 10, 30))
    coachbot.click("followup_log_no_answer", line_id(dm, "Acme BV"))
    updated = coachbot.slack.of("chat.update")[-1].params
    assert "all 1 done" in texts(updated) and "Your calls focus block of 60 min" in texts(updated)
    assert coachbot.slack.findings == []


def test_a_focus_summary_goes_alone_when_the_list_was_sent_or_has_nothing_to_show(coachbot):
    coachbot.clock.set(local(LON, 2026, 11, 27, 9, 10))  # Friday; no follow-ups: no list today
    coachbot.slash("/focus", "calls 30")
    coachbot.clock.advance(minutes=10)
    coachbot.slash("/call", "Initech meeting +dm")
    assert coachbot.sweep(local(LON, 2026, 11, 27, 9, 40)).sent == 1
    [dm] = coachbot.dms()
    assert texts(dm).startswith("Your calls focus block of 30 min is over.")
    # Work slips into a second block: the tip (M402) says so at once and the summary only names it. Into a third:
    # the tip was spent on the day, so the summary gives the advice.
    coachbot.clock.set(local(LON, 2026, 11, 27, 13, 0))
    coachbot.slash("/focus", "calls 30")
    coachbot.clock.advance(minutes=5)
    assert "slipped into your focus time" in texts(coachbot.slash("/log", "email 5 quick reply").body)
    coachbot.sweep(local(LON, 2026, 11, 27, 13, 30))
    assert "Other kinds of work slipped in: email." in texts(coachbot.dms()[-1])
    assert "park them" not in texts(coachbot.dms()[-1])
    coachbot.clock.set(local(LON, 2026, 11, 27, 14, 0))
    coachbot.slash("/focus", "calls 30")
    coachbot.clock.advance(minutes=5)
    assert "slipped into your focus time" not in texts(coachbot.slash("/log", "email 5 another reply").body)
    coachbot.sweep(local(LON, 2026, 11, 27, 14, 30))
    assert "Other kinds of work slipped in: email. Next time, park them" in texts(coachbot.dms()[-1])
    # A list sent before the block began: the summary is news of its own, not an update nobody is told of.
    coachbot.clock.set(local(LON, 2026, 11, 27, 11, 0))
    coachbot.slash("/call", "Globex no-answer")
    assert coachbot.sweep(local(LON, 2026, 11, 30, 9, 0)).sent == 1  # Monday's list
    coachbot.clock.set(local(LON, 2026, 11, 30, 9, 5))
    coachbot.slash("/focus", "calls 30")
    assert coachbot.sweep(local(LON, 2026, 11, 30, 9, 35)).sent == 1
    assert texts(coachbot.dms()[-1]).startswith("Your calls focus block of 30 min is over.")


def test_a_summary_that_rode_along_is_sent_alone_if_the_lists_follow_ups_moved_on_meanwhile(coachbot):
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))
    coachbot.slash("/call", "Acme BV no-answer")
    at = local(LON, 2026, 11, 27, 9, 0)
    with coachbot.db.transaction() as s:
        rep = profile_of(s.get(Rep, ("T0TEAM001", "U0SAM")), s.get(Team, "T0TEAM001"))
        assert daylist_module.send_with_list(s, rep, "Your calls focus block of 60 min is over.", at)
    coachbot.clock.set(at)
    coachbot.slash("/call", "Acme BV meeting")  # the follow-up moves on before the list goes out
    assert coachbot.sweep(at).sent == 1
    [dm] = coachbot.dms()
    assert texts(dm) == "Your calls focus block of 60 min is over.\nYour calls focus block of 60 min is over."


def test_away_pauses_nudges_and_shifts_the_cadence(coachbot):
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))  # Thursday
    coachbot.slash("/call", "Acme BV no-answer")  # due Friday 27th
    reply = coachbot.slash("/coach", "away 2026-12-04")
    assert "Mon 7 Dec" in reply.text and "1 follow-up moved" in reply.text
    [pending] = nudges(coachbot, kind="followup", status="pending")
    assert pending.due_at == local(LON, 2026, 12, 8, 11, 0)  # 2nd working day from today -> 2nd after return
    for day in range(1, 14):
        coachbot.sweep(local(LON, 2026, 11, 26, 11, 0) + dt.timedelta(days=day))
    first = min(n.sent_at for n in list_rows(coachbot) if n.status == "sent")
    assert first == local(LON, 2026, 12, 8, 11, 0)  # nothing while away
    assert "isn't a date" in coachbot.slash("/coach", "away 30-02").text
    assert "up to 365 days" in coachbot.slash("/coach", "away 2020-01-01").text
    assert "isn't a date" in coachbot.slash("/coach", "away someday").text
    assert "Welcome back" in coachbot.slash("/coach", "back").text


def test_a_rep_sets_their_own_working_hours(coachbot):
    reply = coachbot.slash("/coach", "hours 07:00-15:00 mon-thu")
    assert "07:00 to 15:00 on Mon, Tue, Wed, Thu" in reply.text
    coachbot.clock.set(local(LON, 2026, 11, 25, 14, 30))  # Wednesday
    coachbot.slash("/call", "Acme BV no-answer")
    nudge, day_list = nudges(coachbot)
    assert nudge.due_at == local(LON, 2026, 11, 26, 14, 30)  # Thursday, inside her hours
    assert day_list.due_at == local(LON, 2026, 11, 26, 7, 0)  # the list: the start of her day
    coachbot.sweep(local(LON, 2026, 11, 26, 15, 0))  # the clock was late: 15:00 is after her day
    assert {n.due_at for n in nudges(coachbot)} == {local(LON, 2026, 11, 30, 7, 0)}  # Friday is off: Monday 07:00
    assert "isn't a span" in coachbot.slash("/coach", "hours 17:00-09:00").text
    assert "isn't a set of days" in coachbot.slash("/coach", "hours 09:00-17:00 weekdays").text
    assert "team's working hours again: 09:00 to 17:00" in coachbot.slash("/coach", "hours team").text
