"""Follow-up cadences and break nudges, end to end: the outbox, the sweep, Slack's failures, the buttons."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot import runtime as runtime_module
from bot.slack.standin import texts
from bot.storage.models import Activity, Lead, Nudge
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
    return [p for p in coachbot.dms(since) if lead.casefold() in texts(p).casefold()]


def test_an_unreached_call_writes_its_follow_up_and_the_sweep_sends_it_once(coachbot, slack):
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))  # Thursday
    coachbot.slash("/call", "Acme BV no-answer")  # Sam, London
    [nudge] = nudges(coachbot)
    assert (nudge.kind, nudge.status, nudge.attempt) == ("followup", "pending", 2)
    assert nudge.due_at == local(LON, 2026, 11, 27, 11, 0)
    assert coachbot.sweep(local(LON, 2026, 11, 27, 10, 59)).sent == 0
    report = coachbot.sweep(local(LON, 2026, 11, 27, 11, 0))
    assert report.sent == 1
    [dm] = followup_dms(coachbot, "Acme BV")
    shown = texts(dm)
    assert "attempt 2 of 6" in shown and "no answer" in shown and "93% of converted leads" in shown
    assert dm["channel"] == "D0SAM"
    action_ids = {e["action_id"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert action_ids == {
        "followup_log_no_answer",
        "followup_log_reached",
        "followup_log_meeting",
        "followup_snooze_hour",
        "followup_snooze_morning",
        "followup_snooze_next_day",
        "followup_stop",
        "lead_card",  # the lead card, before the call
    }
    # One primary button per set (Slack's guideline): "reached". Stop is a menu that asks why.
    styles = [
        {e["action_id"]: e["style"] for e in b["elements"] if "style" in e}
        for b in dm["blocks"]
        if b["type"] == "actions"
    ]
    assert [s for s in styles if s] == [{"followup_log_reached": "primary"}]
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
    assert [n.status for n in nudges(coachbot)] == ["sent", "pending"]  # the reminder, should Sam ignore it


def test_a_reached_outcome_ends_the_cadence_and_cancels_what_is_pending(coachbot):
    coachbot.slash("/call", "Acme BV voicemail")
    coachbot.clock.advance(hours=1)
    coachbot.slash("/call", "Acme BV connected +dm")
    assert [n.status for n in nudges(coachbot)] == ["cancelled"]
    assert coachbot.sweep(coachbot.clock() + dt.timedelta(days=7)).sent == 0
    with coachbot.db.transaction() as s:
        assert s.scalar(select(Lead.cadence)) == "reached"


def test_the_cadence_never_goes_past_eight_attempts(coachbot):
    for _ in range(8):
        reply = coachbot.slash("/call", "Acme BV busy")
        coachbot.clock.advance(days=1)
    assert "attempt 8" in reply.text and "nurture" in reply.text
    assert len(nudges(coachbot)) == 7
    assert len(nudges(coachbot, status="pending")) == 0


def test_amsterdam_and_new_york_reps_are_nudged_in_their_own_working_hours(coachbot):
    # Friday 16:30 in each zone: the next attempt is Monday 16:30 local, never the weekend.
    coachbot.clock.set(local(AMS, 2026, 11, 27, 16, 30))
    coachbot.slash("/call", "Bakkerij Jansen geen-gehoor", user="U0ANOUK")
    coachbot.clock.set(local(NYC, 2026, 11, 27, 16, 30))
    coachbot.slash("/call", "Big Apple Inc no-answer", user="U0JORDAN")
    anouk, jordan = nudges(coachbot)
    assert anouk.due_at == local(AMS, 2026, 11, 30, 16, 30)
    assert jordan.due_at == local(NYC, 2026, 11, 30, 16, 30)
    for hour in range(0, 24 * 4, 1):  # sweep every hour from Saturday to Tuesday, as the clock would
        coachbot.sweep(local(dt.UTC, 2026, 11, 28, 0, 0) + dt.timedelta(hours=hour))
    sent = [(n.user_id, n.sent_at) for n in nudges(coachbot) if n.status == "sent"]
    assert {user for user, _ in sent} == {"U0ANOUK", "U0JORDAN"}
    for user, at in sent:
        when = at.astimezone(AMS if user == "U0ANOUK" else NYC)
        assert when.weekday() < 5 and 9 <= when.hour < 17, (user, when)
    assert len(followup_dms(coachbot, "Bakkerij Jansen")) == 1
    assert "Volg *Bakkerij Jansen* op" in texts(followup_dms(coachbot, "Bakkerij Jansen")[0])  # Dutch for Anouk


def test_what_falls_due_off_hours_goes_out_at_the_next_working_moment_once(coachbot):
    coachbot.clock.set(local(AMS, 2026, 11, 26, 16, 55))
    coachbot.slash("/call", "Nachtwerk BV bezet", user="U0ANOUK")
    # The clock was down all evening: the first sweep after the due time is at 23:00, then through the night.
    assert coachbot.sweep(local(AMS, 2026, 11, 27, 23, 0)).deferred == 1
    [nudge] = nudges(coachbot)
    assert nudge.status == "pending" and nudge.due_at == local(AMS, 2026, 11, 30, 9, 0)  # Monday 09:00
    for hour in range(1, 61):
        coachbot.sweep(local(AMS, 2026, 11, 27, 23, 0) + dt.timedelta(hours=hour))
    nudge = nudges(coachbot)[0]
    assert nudge.status == "sent" and nudge.sent_at == local(AMS, 2026, 11, 30, 9, 0)
    assert len(followup_dms(coachbot, "Nachtwerk BV")) == 1


def test_daylight_saving_weekend_keeps_the_reps_local_time(coachbot):
    coachbot.clock.set(local(AMS, 2026, 3, 27, 9, 30))  # Friday before the clocks go forward
    coachbot.slash("/call", "Lente BV geen-gehoor", user="U0ANOUK")
    [nudge] = nudges(coachbot)
    assert nudge.due_at.astimezone(AMS).replace(tzinfo=None) == dt.datetime(2026, 3, 30, 9, 30)
    assert nudge.due_at == dt.datetime(2026, 3, 30, 7, 30, tzinfo=dt.UTC)


def test_a_restart_with_pending_rows_delivers_them_from_a_new_process(coachbot, slack, db, clock):
    coachbot.slash("/call", "Acme BV no-answer")
    coachbot.slash("/call", "Initech voicemail")
    coachbot.close()  # the first process is gone
    fresh = runtime_module.build(make_config(slack, db.url), clock=clock, db=db)
    report = fresh.sweeper.sweep(clock() + dt.timedelta(days=1))
    assert report.sent == 2
    assert [n.status for n in nudges(coachbot)] == ["sent", "sent", "pending", "pending"]


def test_a_stopped_sweeper_sends_the_nudge_in_hand_and_gives_the_rest_back_at_once(
    coachbot, slack, db, clock, monkeypatch
):
    for lead in ("Acme BV", "Initech", "Globex", "Umbrella"):
        coachbot.slash("/call", f"{lead} no-answer")
    due = nudges(coachbot)[0].due_at
    sweeper = coachbot.runtime.sweeper
    post = sweeper.post

    def post_then_stop(*args):  # the process is told to stop while its sweep sends the first nudge
        ts = post(*args)
        sweeper.stop()
        return ts

    monkeypatch.setattr(sweeper, "post", post_then_stop)
    report = coachbot.sweep(due)
    assert report.sent == 1
    assert coachbot.sweep(due).sent == 0  # a stopped sweeper sends nothing more
    followups = nudges(coachbot)[:4]  # the four follow-ups; after them comes the reminder of the one sent
    assert [n.status for n in followups] == ["sent", "pending", "pending", "pending"]
    assert all(n.lease_until is None and n.claimed_by is None for n in followups[1:])
    # Another process sends the rest now, not after the stopped one's lease has run out.
    fresh = runtime_module.build(make_config(slack, db.url), clock=clock, db=db)
    assert fresh.sweeper.sweep(due).sent == 3
    fresh.close()


def test_a_row_left_sending_by_a_crashed_sweeper_is_retried_after_its_lease(coachbot):
    coachbot.slash("/call", "Acme BV no-answer")
    due = nudges(coachbot)[0].due_at
    with coachbot.db.transaction() as s:  # a sweeper claimed it, then died before sending
        s.execute(
            update(Nudge).values(status="sending", claimed_by="dead:1", lease_until=due + dt.timedelta(minutes=5))
        )
    assert coachbot.sweep(due + dt.timedelta(minutes=1)).sent == 0  # still leased
    assert coachbot.sweep(due + dt.timedelta(minutes=6)).sent == 1
    assert len(followup_dms(coachbot, "Acme BV")) == 1


def test_a_429_reschedules_by_retry_after_and_never_sends_twice(coachbot, slack):
    coachbot.slash("/call", "Acme BV no-answer")
    due = nudges(coachbot)[0].due_at
    slack.fail("chat.postMessage", 429, times=1, retry_after=30)
    report = coachbot.sweep(due)
    assert report.sent == 0 and report.retried == 1
    [nudge] = nudges(coachbot)
    assert nudge.status == "pending" and nudge.due_at == due + dt.timedelta(seconds=30)
    assert nudge.last_error == "ratelimited"
    assert coachbot.sweep(due + dt.timedelta(seconds=29)).sent == 0
    assert coachbot.sweep(due + dt.timedelta(seconds=30)).sent == 1
    assert len(slack.of("chat.postMessage")) == 2  # the refused one and the delivered one
    assert len(followup_dms(coachbot, "Acme BV")) == 2 and nudges(coachbot)[0].status == "sent"


def test_a_500_retries_later_with_backoff(coachbot, slack):
    coachbot.slash("/call", "Acme BV no-answer")
    due = nudges(coachbot)[0].due_at
    slack.fail("chat.postMessage", 500, times=2)
    assert coachbot.sweep(due).retried == 1
    first = nudges(coachbot)[0]
    assert first.tries == 1 and first.due_at == due + dt.timedelta(seconds=30)
    assert coachbot.sweep(first.due_at).retried == 1
    second = nudges(coachbot)[0]
    assert second.tries == 2 and second.due_at == first.due_at + dt.timedelta(seconds=60)
    assert coachbot.sweep(second.due_at).sent == 1


def test_a_slack_error_no_retry_cures_marks_the_nudge_failed(coachbot, slack, monkeypatch):
    coachbot.slash("/call", "Acme BV no-answer")
    due = nudges(coachbot)[0].due_at
    original = slack._body

    def refuse(method, params):
        if method == "chat.postMessage":
            return {"ok": False, "error": "user_not_found"}
        return original(method, params)

    monkeypatch.setattr(slack, "_body", refuse)
    assert coachbot.sweep(due).failed == 1
    assert nudges(coachbot)[0].status == "failed" and nudges(coachbot)[0].last_error == "user_not_found"


def test_two_sweepers_at_once_send_each_nudge_exactly_once(coachbot, slack, db, clock):
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
    assert sum(r.sent for r in reports) == 60
    assert all(r.sent > 0 for r in reports) or db.dialect == "sqlite"
    sent = [texts(p) for p in coachbot.dms()]
    for i in range(60):
        assert sum(f"Lead {i:02d} BV" in text for text in sent) == 1, i


# -- the buttons on a follow-up ---------------------------------------------------------------------------------


@pytest.fixture
def delivered(coachbot):
    """Sam's follow-up on Acme BV, delivered Friday 11:00 London."""
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))
    coachbot.slash("/call", "Acme BV no-answer")
    coachbot.clock.set(local(LON, 2026, 11, 27, 11, 0))
    coachbot.sweep()
    return nudges(coachbot)[0]


def replaced(slack, since):
    [update_] = slack.wait_for("response_url", since=since)
    assert update_.params.get("replace_original") in (True, "true")
    return texts(update_.params)


def test_logging_an_attempt_from_the_dm_logs_once_however_often_it_is_clicked(coachbot, slack, delivered):
    mark = slack.mark()
    assert coachbot.click("followup_log_no_answer", str(delivered.id)).status == 200
    shown = replaced(slack, mark)
    assert "Logged attempt 2 on *Acme BV*: no answer" in shown and "Next attempt" in shown
    mark = slack.mark()
    assert coachbot.click("followup_log_no_answer", str(delivered.id)).status == 200
    assert "Already handled" in replaced(slack, mark)
    with coachbot.db.transaction() as s:
        assert len(s.scalars(select(Activity).where(Activity.kind == "call")).all()) == 2
        lead = s.scalar(select(Lead))
        assert (lead.attempts, lead.unreached_attempts) == (2, 2)
    pending = nudges(coachbot, status="pending")
    assert [(n.attempt, n.due_at) for n in pending] == [(3, local(LON, 2026, 11, 30, 11, 0))]


def test_a_double_click_at_the_same_moment_logs_once(coachbot, slack, delivered):
    mark = slack.mark()
    threads = [
        threading.Thread(target=coachbot.click, args=("followup_log_meeting", str(delivered.id))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    updates = slack.wait_for("response_url", count=4, since=mark)  # the work after each ack is done
    assert sum("Already handled" in texts(u.params) for u in updates) == 3
    with coachbot.db.transaction() as s:
        assert s.scalar(select(Lead.attempts)) == 2
        assert s.scalar(select(Lead.cadence)) == "reached"


def test_snooze_buttons(coachbot, slack, delivered):
    mark = slack.mark()
    coachbot.click("followup_snooze_hour", str(delivered.id))
    assert "Snoozed" in replaced(slack, mark)
    [snoozed] = nudges(coachbot, status="pending")
    assert snoozed.due_at == local(LON, 2026, 11, 27, 12, 0) and snoozed.attempt == 2
    assert coachbot.sweep(local(LON, 2026, 11, 27, 12, 0)).sent == 1
    [again] = [n for n in nudges(coachbot) if n.id == snoozed.id]
    coachbot.click("followup_snooze_morning", str(again.id))
    [morning] = nudges(coachbot, status="pending")
    assert morning.due_at == local(LON, 2026, 11, 30, 9, 0)  # Saturday is no working morning
    coachbot.click("followup_snooze_morning", str(again.id))  # a second click adds nothing
    assert len(nudges(coachbot, status="pending")) == 1


def test_snooze_to_the_next_business_day(coachbot, slack, delivered):
    coachbot.click("followup_snooze_next_day", str(delivered.id))
    [pending] = nudges(coachbot, status="pending")
    assert pending.due_at == local(LON, 2026, 11, 30, 11, 0)


def test_stop_ends_the_cadence(coachbot, slack, delivered):
    mark = slack.mark()
    coachbot.click("followup_stop", str(delivered.id))
    assert "Stopped following up *Acme BV*" in replaced(slack, mark)
    with coachbot.db.transaction() as s:
        assert s.scalar(select(Lead.cadence)) == "stopped"
    assert nudges(coachbot, status="pending") == []


def test_a_button_on_someone_elses_nudge_changes_nothing(coachbot, slack, delivered):
    mark = slack.mark()
    coachbot.click("followup_log_meeting", str(delivered.id), user="U0ANOUK")
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


def test_a_focus_block_holds_follow_ups_and_ends_with_a_summary(coachbot, slack):
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))
    coachbot.slash("/call", "Acme BV no-answer")
    coachbot.clock.set(local(LON, 2026, 11, 27, 10, 30))
    coachbot.slash("/focus", "calls 60")
    for lead in ("Initech meeting +dm", "Globex no-answer"):
        coachbot.clock.advance(minutes=10)
        coachbot.slash("/call", lead)
    coachbot.slash("/log", "email 5 quick reply")
    assert coachbot.sweep(local(LON, 2026, 11, 27, 11, 0)).deferred == 1  # Acme's follow-up waits
    with coachbot.db.transaction() as s:
        acme = s.scalar(select(Lead.id).where(Lead.name == "Acme BV"))
    [held] = [n for n in nudges(coachbot) if n.kind == "followup" and n.lead_id == acme]
    assert held.due_at == local(LON, 2026, 11, 27, 11, 30)
    report = coachbot.sweep(local(LON, 2026, 11, 27, 11, 30))
    assert report.sent == 2
    summary = [texts(p) for p in coachbot.dms() if "focus block" in texts(p)]
    assert len(summary) == 1
    assert "In the block: 2 calls, 1 conversation, 1 meeting" in summary[0] and "email" in summary[0]


def test_away_pauses_nudges_and_shifts_the_cadence(coachbot):
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))  # Thursday
    coachbot.slash("/call", "Acme BV no-answer")  # due Friday 27th
    reply = coachbot.slash("/coach", "away 2026-12-04")
    assert "Mon 7 Dec" in reply.text and "1 follow-up moved" in reply.text
    [pending] = nudges(coachbot, status="pending")
    assert pending.due_at == local(LON, 2026, 12, 8, 11, 0)  # 2nd working day from today -> 2nd after return
    for day in range(1, 14):
        coachbot.sweep(local(LON, 2026, 11, 26, 11, 0) + dt.timedelta(days=day))
    sent = nudges(coachbot)[0]
    assert sent.sent_at == local(LON, 2026, 12, 8, 11, 0)
    assert "isn't a date" in coachbot.slash("/coach", "away 30-02").text
    assert "up to 365 days" in coachbot.slash("/coach", "away 2020-01-01").text
    assert "isn't a date" in coachbot.slash("/coach", "away someday").text
    assert "Welcome back" in coachbot.slash("/coach", "back").text


def test_a_rep_sets_their_own_working_hours(coachbot):
    reply = coachbot.slash("/coach", "hours 07:00-15:00 mon-thu")
    assert "07:00 to 15:00 on Mon, Tue, Wed, Thu" in reply.text
    coachbot.clock.set(local(LON, 2026, 11, 25, 14, 30))  # Wednesday
    coachbot.slash("/call", "Acme BV no-answer")
    [nudge] = nudges(coachbot)
    assert nudge.due_at == local(LON, 2026, 11, 26, 14, 30)  # Thursday, inside her hours
    coachbot.sweep(local(LON, 2026, 11, 26, 15, 0))  # the clock was late: 15:00 is after her day
    assert nudges(coachbot)[0].due_at == local(LON, 2026, 11, 30, 7, 0)  # Friday is off: Monday 07:00
    assert "isn't a span" in coachbot.slash("/coach", "hours 17:00-09:00").text
    assert "isn't a set of days" in coachbot.slash("/coach", "hours 09:00-17:00 weekdays").text
    assert "team's working hours again: 09:00 to 17:00" in coachbot.slash("/coach", "hours team").text


def test_an_ignored_follow_up_comes_back_once_the_next_working_day(coachbot, slack, delivered):
    # Friday's DM on Acme BV got no click: Monday at the same time it comes back, saying so.
    assert coachbot.sweep(local(LON, 2026, 11, 30, 10, 59)).sent == 0
    mark = slack.mark()
    assert coachbot.sweep(local(LON, 2026, 11, 30, 11, 0)).sent == 1
    [again] = followup_dms(coachbot, "Acme BV", mark)
    assert "Still open" in texts(again) and "attempt 2 of 6" in texts(again)
    # Ignored twice: no third message; the follow-up waits on the App Home.
    for day in range(1, 6):
        assert coachbot.sweep(local(LON, 2026, 11, 30, 11, 0) + dt.timedelta(days=day)).sent == 0


def test_acting_on_a_follow_up_cancels_its_reminder(coachbot, slack, delivered):
    coachbot.click("followup_snooze_next_day", str(delivered.id))
    slack.wait_for("response_url")
    reminders = [n for n in nudges(coachbot) if n.dedupe_key.startswith("again:")]
    assert [n.status for n in reminders] == ["cancelled"]
    mark = slack.mark()
    coachbot.sweep(local(LON, 2026, 11, 30, 11, 0))  # the snoozed follow-up, once
    assert len(followup_dms(coachbot, "Acme BV", mark)) == 1
