"""One follow-up list a rep a working day, and the notification budget (issue 11), through the real app."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.slack.standin import texts
from bot.storage.models import Activity, Lead, Nudge, Team
from coaching.daylist import NOTIFYING
from tests.test_followups import local, nudges

LON, AMS = ZoneInfo("Europe/London"), ZoneInfo("Europe/Amsterdam")


def lines(message):
    """The list's line texts and each open line's nudge id, in order."""
    shown = []
    for block in message["blocks"]:
        if block["type"] == "section":
            shown.append(block["text"]["text"])
    return shown


def line_id(message, lead):
    """The nudge id behind the buttons of `lead`'s line."""
    blocks = message["blocks"]
    for i, block in enumerate(blocks):
        if block["type"] == "section" and lead in block["text"]["text"] and i + 1 < len(blocks):
            after = blocks[i + 1]
            if after["type"] == "actions":
                return after["elements"][0]["value"]
    raise AssertionError(f"no open line for {lead}")


def latest(slack, since=0):
    """The list as the rep sees it now: the last post or update of it (None before the first)."""
    calls = [
        c
        for c in slack.since(since)
        if c.method in ("chat.postMessage", "chat.update") and "Your follow-ups" in str(c.params.get("text"))
    ]
    return calls[-1].params if calls else None


LEADS = ("Acme BV", "Initech", "Globex", "Umbrella", "Stark Industries")


def five_follow_ups(coachbot):
    """Sam (London) leaves five leads unreached on Thursday, 10:00 to 14:00: five follow-ups due Friday."""
    for hour, lead in zip(range(10, 15), LEADS, strict=True):
        coachbot.clock.set(local(LON, 2026, 11, 26, hour, 0))
        coachbot.slash("/call", f"{lead} no-answer")


def test_the_days_follow_ups_come_as_one_dm_at_the_start_of_the_day(coachbot, slack):
    five_follow_ups(coachbot)
    mark = slack.mark()
    assert coachbot.sweep(local(LON, 2026, 11, 27, 8, 59)).sent == 0
    report = coachbot.sweep(local(LON, 2026, 11, 27, 9, 0))
    assert report.sent == 1
    assert [n.status for n in nudges(coachbot, kind="followup")][:5] == ["listed"] * 5
    [dm] = coachbot.dms(mark)
    assert dm["channel"] == "D0SAM"
    shown = lines(dm)
    assert "Your follow-ups for Fri 27 Nov" in shown[0] and "0 of 5 done" in shown[0]
    # Most overdue first: Acme BV was due first (10:00), Stark Industries last (14:00).
    assert [next(lead for lead in LEADS if lead in line) for line in shown[1:]] == list(LEADS)
    assert all("attempt 2 of 6" in line and "last: no answer, yesterday at" in line for line in shown[1:])
    action_ids = [e["action_id"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]][:7]
    assert action_ids == [
        "followup_log_no_answer",
        "followup_log_reached",
        "followup_log_meeting",
        "lead_card",  # the lead card, before the call
        "followup_snooze_hour",
        "followup_snooze_next_day",
        "followup_stop",
    ]
    # The rest of the day: no DM of its own for any follow-up.
    mark = slack.mark()
    for minutes in range(15, 9 * 60, 15):
        coachbot.sweep(local(LON, 2026, 11, 27, 9, 0) + dt.timedelta(minutes=minutes))
    assert coachbot.dms(mark) == []


def test_a_click_changes_its_line_and_the_header_in_place_once(coachbot, slack):
    five_follow_ups(coachbot)
    coachbot.sweep(local(LON, 2026, 11, 27, 9, 0))
    [dm] = coachbot.dms()
    coachbot.clock.set(local(LON, 2026, 11, 27, 9, 30))
    mark = slack.mark()
    coachbot.click("followup_log_no_answer", line_id(dm, "Initech"))
    [update] = slack.wait_for("chat.update", since=mark)
    assert update.params["ts"] == slack.of("chat.postMessage")[-1].answer["ts"]
    shown = texts(update.params)
    assert "1 of 5 done" in shown and "Logged attempt 2 on *Initech*: no answer" in shown
    assert "Acme BV" in shown and shown.count("attempt 2 of 6") == 4
    mark = slack.mark()
    coachbot.click("followup_log_no_answer", line_id(dm, "Initech"))  # the same button again: nothing changes
    with coachbot.db.transaction() as s:
        initech = s.scalar(select(Lead).where(Lead.name == "Initech"))
        assert (initech.attempts, initech.unreached_attempts) == (2, 2)
        assert len(s.scalars(select(Activity).where(Activity.lead_id == initech.id)).all()) == 2
    assert slack.since(mark, "chat.postMessage") == []
    # Reached, meeting and stop each change their own line; the header counts them.
    for action, lead in (("followup_log_reached", "Globex"), ("followup_log_meeting", "Acme BV")):
        mark = slack.mark()
        coachbot.click(action, line_id(dm, lead))
        slack.wait_for("chat.update", since=mark)
    assert "3 of 5 done" in texts(latest(slack))
    assert slack.since(0, "chat.postMessage")[1:] == []  # one DM in all


def test_a_call_logged_by_command_marks_the_line_handled(coachbot, slack):
    five_follow_ups(coachbot)
    coachbot.sweep(local(LON, 2026, 11, 27, 9, 0))
    coachbot.clock.set(local(LON, 2026, 11, 27, 9, 40))
    coachbot.slash("/call", "Umbrella connected")
    mark = slack.mark()
    coachbot.sweep()
    shown = texts(latest(slack, mark))
    assert "*Umbrella*: handled" in shown and "1 of 5 done" in shown


def test_what_is_left_open_rolls_into_the_next_days_list_marked_since_when(coachbot, slack):
    five_follow_ups(coachbot)
    coachbot.sweep(local(LON, 2026, 11, 27, 9, 0))  # Friday's list
    [friday] = coachbot.dms()
    coachbot.clock.set(local(LON, 2026, 11, 27, 10, 0))
    coachbot.click("followup_log_reached", line_id(friday, "Acme BV"))
    mark = slack.mark()
    for hour in range(11, 24 * 3 + 10):  # through the weekend into Monday 09:00
        coachbot.sweep(local(LON, 2026, 11, 27, 10, 0) + dt.timedelta(hours=hour - 10))
    [monday] = coachbot.dms(mark)
    shown = lines(monday)
    assert "Mon 30 Nov" in shown[0] and "0 of 4 done" in shown[0]
    assert all("still open since Fri" in line for line in shown[1:])
    assert not any("Acme BV" in line for line in shown)
    # The line on Friday's list and Monday's are one follow-up: a click on the old one settles both.
    mark = slack.mark()
    coachbot.clock.set(local(LON, 2026, 11, 30, 9, 30))
    coachbot.click("followup_stop", line_id(friday, "Globex"))
    updates = slack.wait_for("chat.update", since=mark, count=2)
    assert {u.params["ts"] for u in updates} == {friday_ts(slack, 0), friday_ts(slack, 1)}
    assert all("Stopped following up *Globex*" in texts(u.params) for u in updates)


def friday_ts(slack, n):
    return slack.of("chat.postMessage")[n].answer["ts"]


def test_a_snooze_for_an_hour_brings_the_line_back_and_one_afternoon_note(coachbot, slack):
    five_follow_ups(coachbot)
    coachbot.sweep(local(LON, 2026, 11, 27, 9, 0))
    [dm] = coachbot.dms()
    coachbot.clock.set(local(LON, 2026, 11, 27, 13, 0))
    mark = slack.mark()
    coachbot.click("followup_snooze_hour", line_id(dm, "Globex"))
    [update] = slack.wait_for("chat.update", since=mark)
    assert "Snoozed: I'll remind you about *Globex* today at 14:00" in texts(update.params)
    mark = slack.mark()
    coachbot.click("followup_snooze_hour", line_id(dm, "Initech"))
    slack.wait_for("chat.update", since=mark)
    mark = slack.mark()
    report = coachbot.sweep(local(LON, 2026, 11, 27, 14, 0))
    assert report.listed == 2 and report.sent == 1  # the two lines open again; one short DM says so
    [note] = coachbot.dms(mark)
    assert "Due now in today's follow-up list: 2 follow-ups (0 of 5 done)" in texts(note)
    shown = texts(latest(slack, mark))
    assert shown.count("attempt 2 of 6") == 5 and "Snoozed" not in shown
    # Another snooze later that afternoon updates the list, and no second note comes.
    coachbot.clock.set(local(LON, 2026, 11, 27, 14, 10))
    coachbot.click("followup_snooze_hour", line_id(dm, "Globex"))
    mark = slack.mark()
    coachbot.sweep(local(LON, 2026, 11, 27, 15, 10))
    assert coachbot.dms(mark) == [] and slack.since(mark, "chat.update")


def test_more_than_fit_in_one_message_show_the_first_and_n_more(coachbot, slack):
    coachbot.clock.set(local(LON, 2026, 11, 26, 9, 0))
    for i in range(30):
        coachbot.clock.advance(minutes=5)
        coachbot.slash("/call", f"Lead {i:02d} BV no-answer")
    coachbot.sweep(local(LON, 2026, 11, 27, 9, 0))
    [dm] = coachbot.dms()
    assert len(dm["blocks"]) <= 50
    shown = texts(dm)
    assert "Lead 00 BV" in shown and "Lead 22 BV" in shown and "Lead 23 BV" not in shown
    assert "7 more on your App Home" in shown and "0 of 30 done" in shown
    assert slack.findings == []


def test_the_budget_holds_back_what_would_pass_it(coachbot, slack):
    with coachbot.db.transaction() as s:
        team = s.get(Team, "T0TEAM001")
        if team is not None:
            team.settings = {**(team.settings or {}), "notify_budget": 2}
    five_follow_ups(coachbot)
    with coachbot.db.transaction() as s:
        team = s.get(Team, "T0TEAM001")
        team.settings = {**(team.settings or {}), "notify_budget": 2}
    coachbot.sweep(local(LON, 2026, 11, 27, 9, 0))  # the list: 1
    coachbot.clock.set(local(LON, 2026, 11, 27, 9, 5))
    coachbot.slash("/focus", "calls 30")
    coachbot.sweep(local(LON, 2026, 11, 27, 9, 35))  # the focus summary: 2
    coachbot.clock.set(local(LON, 2026, 11, 27, 10, 0))
    coachbot.slash("/log", "admin 95 CRM cleanup")  # a streak past 90 minutes earns a break suggestion: over
    coachbot.sweep(local(LON, 2026, 11, 27, 10, 0))
    assert len(coachbot.dms()) == 2
    [held] = nudges(coachbot, kind="break")
    assert held.status == "cancelled" and held.last_error.startswith("over the day's notification budget")
    # It is shown quietly in the day's list instead: an update (the clock's next sweep), which doesn't notify.
    assert coachbot.sweep(local(LON, 2026, 11, 27, 10, 0)).updated == 1
    shown = texts(latest(slack))
    assert "Held back to keep your day calm" in shown and "without a break" in shown


def test_thirty_unreached_leads_over_two_weeks_stay_within_the_budget_and_every_follow_up_is_listed(coachbot, slack):
    """Done when (issue 11): no more notifying DMs a working day than the budget, every due follow-up listed."""
    start = local(LON, 2026, 11, 30, 9, 0)  # Monday
    coachbot.clock.set(start)
    for i in range(30):
        coachbot.clock.advance(minutes=3)
        coachbot.slash("/call", f"Lead {i:02d} BV no-answer")
    due_days: dict[str, set[dt.date]] = {}
    listed_days: dict[str, set[dt.date]] = {}
    notifying: dict[dt.date, int] = {}
    at = start + dt.timedelta(hours=2)
    end = start + dt.timedelta(days=14)
    while at < end:
        with coachbot.db.transaction() as s:
            for nudge, name in s.execute(
                select(Nudge, Lead.name)
                .join(Lead, Lead.id == Nudge.lead_id)
                .where(Nudge.kind == "followup", Nudge.status == "pending", Nudge.due_at <= at)
            ):
                due_days.setdefault(name, set()).add(nudge.due_at.astimezone(LON).date())
        mark = slack.mark()
        coachbot.sweep(at)
        day, posted = at.astimezone(LON).date(), len(slack.since(mark, "chat.postMessage"))
        if posted:
            notifying[day] = notifying.get(day, 0) + posted
        latest_lists = [c.params for c in slack.since(mark) if c.method in ("chat.postMessage", "chat.update")]
        for message in latest_lists:
            for name in (f"Lead {i:02d} BV" for i in range(30)):
                if name in texts(message):
                    listed_days.setdefault(name, set()).add(at.astimezone(LON).date())
        hour = at.astimezone(LON).hour
        if hour == 11 and at.weekday() < 5:  # Sam works through part of the list each late morning
            coachbot.clock.set(at)
            message = latest(slack) or {"text": "", "blocks": []}
            for i, name in enumerate(n for n in (f"Lead {i:02d} BV" for i in range(30)) if n in texts(message)):
                if i % 3 == 0:
                    try:
                        value = line_id(message, name)
                    except AssertionError:
                        continue
                    coachbot.click("followup_log_no_answer", value)
        at += dt.timedelta(minutes=30)
    assert notifying and max(notifying.values()) <= 4, notifying
    assert all(day.weekday() < 5 for day in notifying)
    for name, days in due_days.items():
        assert days <= listed_days.get(name, set()), (name, days, listed_days.get(name))
    with coachbot.db.transaction() as s:
        kinds = {n.kind for n in s.scalars(select(Nudge).where(Nudge.status == "sent"))}
    assert kinds <= NOTIFYING | {"digest"}


def home_click(coachbot, action_id, value, user="U0SAM"):
    """A button on the App Home (a view, not a message)."""
    return coachbot.interact_as(
        "block_actions",
        user,
        container={"type": "view", "view_id": "V0HOME"},
        view={"id": "V0HOME", "type": "home"},
        actions=[{"action_id": action_id, "block_id": "b", "value": value, "type": "button"}],
    )


def home_leads(view):
    lines = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    return [line.split("*")[1] for line in lines if ": attempt " in line]


def test_the_home_shows_each_open_follow_up_once_and_pages_through_all_of_them(coachbot, slack):
    """Issue 11, item 7: no duplicates on the App Home, every open follow-up reachable."""
    coachbot.clock.set(local(LON, 2026, 11, 25, 9, 0))  # Wednesday
    for i in range(26):
        coachbot.clock.advance(minutes=5)
        coachbot.slash("/call", f"Lead {i:02d} BV no-answer")
    coachbot.sweep(local(LON, 2026, 11, 26, 9, 0))  # Thursday's list: 23 lines and "3 more"
    coachbot.sweep(local(LON, 2026, 11, 27, 9, 0))  # left open: each rolls into Friday's list, a row more per lead
    with coachbot.db.transaction() as s:
        rows = s.scalars(select(Nudge).where(Nudge.kind == "followup", Nudge.status == "listed")).all()
    assert len(rows) == 52  # two open rows per lead: Thursday's line and Friday's
    mark = slack.mark()
    coachbot.event({"type": "app_home_opened", "user": "U0SAM", "tab": "home"}, "EvPages1")
    [first] = slack.wait_for("views.publish", since=mark, where=lambda c: c.ok)
    seen = home_leads(first.params["view"])
    assert len(seen) == 10 and "1-10 of 26 open follow-ups" in texts(first.params["view"])
    page = first.params["view"]
    while True:
        buttons = [e for b in page["blocks"] if b["type"] == "actions" for e in b["elements"]]
        following = [e for e in buttons if e["action_id"] == "home_followups_page_next"]
        if not following:
            break
        mark = slack.mark()
        home_click(coachbot, "home_followups_page_next", following[0]["value"])
        [published] = slack.wait_for("views.publish", since=mark, where=lambda c: c.ok)
        page = published.params["view"]
        seen += home_leads(page)
    assert sorted(seen) == [f"Lead {i:02d} BV" for i in range(26)]  # each lead once, all of them
    assert "21-26 of 26" in texts(page) and any(
        e["action_id"] == "home_followups_page_previous"
        for b in page["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    )
    assert slack.findings == []


def test_an_update_racing_a_click_loses_neither(coachbot, slack, monkeypatch):
    """The list is being updated (a /call on a listed lead) when a click on another line lands: both show."""
    five_follow_ups(coachbot)
    coachbot.sweep(local(LON, 2026, 11, 27, 9, 0))
    [dm] = coachbot.dms()
    coachbot.clock.set(local(LON, 2026, 11, 27, 9, 40))
    coachbot.slash("/call", "Umbrella connected")  # the list is due for an update
    sweeper = coachbot.runtime.sweeper
    update = sweeper.update
    clicked = []

    def update_while_clicked(*args):
        if not clicked:  # while the sweep's update is on its way to Slack, Sam clicks another line
            clicked.append(coachbot.click("followup_log_meeting", line_id(dm, "Globex")))
            acted.wait(timeout=10)  # the click's transaction is in before this update reaches Slack
        update(*args)

    acted = threading.Event()

    def watch():
        for _ in range(1000):
            with coachbot.db.transaction() as s:
                if s.scalar(select(Nudge.acted_at).where(Nudge.id == int(line_id(dm, "Globex")))):
                    acted.set()
                    return
            threading.Event().wait(0.01)  # another thread's work, not the clock

    monkeypatch.setattr(sweeper, "update", update_while_clicked)
    watcher = threading.Thread(target=watch)
    watcher.start()
    report = coachbot.sweep()
    watcher.join()
    assert clicked and clicked[0].status == 200 and acted.is_set()
    # The update the sweep had in hand showed the list without the click; it goes again, with it.
    assert report.updated == 2
    final = texts(latest(slack))
    assert "*Umbrella*: handled" in final and "Logged attempt 2 on *Globex*: meeting booked" in final
    assert "2 of 5 done" in final
