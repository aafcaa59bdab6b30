"""The Messages tab: a rep types a call or other work to the bot in its DM, and the bot logs it and answers there."""

import itertools

import pytest
from sqlalchemy import select

from bot.slack.standin import texts
from bot.storage.models import Activity, Lead, Nudge

_ids = itertools.count(1)


def dm(text, user="U0SAM", **fields):
    """A `message.im` event: `user` wrote `text` in their DM with the bot."""
    ts = f"1700000000.{next(_ids):06d}"
    return {
        "type": "message",
        "channel": "D" + user[1:],
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **fields,
    }


def say(coachbot, slack, text, user="U0SAM", event_id=None, **fields):
    """Send a DM to the bot and wait for its answer in that DM."""
    mark = slack.mark()
    assert coachbot.event(dm(text, user, **fields), event_id or f"EvDm{next(_ids)}").status == 200
    [answer] = slack.wait_for("chat.postMessage", since=mark)
    assert answer.params["channel"] == "D" + user[1:]
    return answer.params


def settled(coachbot):
    """Wait for every answer the bot started in the background (nothing more can be on its way)."""
    coachbot.runtime.background.shutdown(wait=True)


def entries(coachbot):
    with coachbot.db.transaction() as s:
        return list(s.scalars(select(Activity).order_by(Activity.id)))


def test_a_call_typed_to_the_bot_is_logged_like_call_and_answered_in_the_dm(coachbot, slack):
    answer = say(coachbot, slack, "Acme BV no-answer +research rang twice")
    shown = texts(answer)
    assert "Logged a call to *Acme BV*: no answer" in shown and "rang twice" in shown and "Next attempt" in shown
    assert "thread_ts" not in answer  # plainly in the DM
    [call] = entries(coachbot)
    assert (call.kind, call.outcome, call.researched, call.note) == ("call", "no-answer", True, "rang twice")
    assert call.source == "message"
    with coachbot.db.transaction() as s:
        assert s.scalar(select(Nudge.kind)) == "followup"  # its next attempt, as /call schedules it


def test_a_dutch_rep_types_a_call_in_dutch_and_reads_the_answer_in_dutch(coachbot, slack):
    answer = say(coachbot, slack, "Hoogendijk &amp; Zn. geen-gehoor +onderzocht", user="U0ANOUK")
    # Escaped for Slack.
    assert "Belpoging naar *Hoogendijk &amp; Zn.* gelogd: geen gehoor (onderzocht)" in answer["text"]
    [call] = entries(coachbot)
    assert call.user_id == "U0ANOUK" and call.outcome == "no-answer" and call.researched
    with coachbot.db.transaction() as s:
        assert s.scalar(select(Lead.name)) == "Hoogendijk & Zn."


def test_work_typed_to_the_bot_is_logged_like_log(coachbot, slack):
    assert "Logged 30 min of admin" in texts(say(coachbot, slack, "admin 30 CRM updates"))
    assert "45 min e-mail gelogd" in texts(say(coachbot, slack, "e-mail 45m", user="U0ANOUK"))
    work = entries(coachbot)
    assert [(w.kind, w.work, w.note, w.source) for w in work] == [
        ("work", "admin", "CRM updates", "message"),
        ("work", "email", "", "message"),
    ]


def test_a_lead_named_after_a_kind_of_work_is_a_call(coachbot, slack):
    assert "*Mail Boxes BV*" in texts(say(coachbot, slack, "Mail Boxes BV voicemail"))
    [call] = entries(coachbot)
    assert call.kind == "call" and call.outcome == "voicemail"


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("Acme BV no-answer +urgent", "/call"),  # an unknown flag
        ("no-answer", "/call"),  # no lead
        ("admin soon", "/log"),  # no minutes
        ("email 900", "/log"),  # more minutes than a day has working hours
    ],
)
def test_what_the_bot_cant_read_gets_the_commands_own_help_and_stores_nothing(coachbot, slack, text, command):
    answer = texts(say(coachbot, slack, text))
    assert answer == coachbot.slash(command, text).text
    assert "Example" in answer
    assert entries(coachbot) == []


def test_help_answers_with_the_commands_in_the_reps_language(coachbot, slack):
    shown = texts(say(coachbot, slack, "help"))
    assert "Sales Coach commands" in shown and "/coach rules" in shown
    assert "`Acme BV no-answer +research`" in shown
    assert "Sales Coach-commando's" in texts(say(coachbot, slack, "hulp", user="U0ANOUK"))
    assert "Sales Coach commands" in texts(say(coachbot, slack, "Hulp"))
    assert entries(coachbot) == []


def test_anything_else_gets_a_one_line_hint_in_the_reps_language(coachbot, slack):
    hint = texts(say(coachbot, slack, "hi coach, how are you?"))
    assert "\n" not in hint and "`help`" in hint and "/call" in hint
    hint = texts(say(coachbot, slack, "goedemorgen", user="U0ANOUK"))
    assert "\n" not in hint and "`hulp`" in hint
    assert entries(coachbot) == []


def test_a_message_in_a_thread_of_the_dm_is_answered_in_that_thread(coachbot, slack):
    answer = say(coachbot, slack, "Initech connected", thread_ts="1700000000.000001")
    assert answer["thread_ts"] == "1700000000.000001"


@pytest.mark.parametrize(
    "fields",
    [
        {"bot_id": "B0COACH", "user": "U0BOT", "text": "Logged a call to *Acme BV*: no answer."},  # its own answer
        {"user": "U0BOT"},  # the bot's own user, whatever else the event says
        {"bot_id": "B0OTHER", "user": "U0OTHERBOT"},  # another bot
        {"subtype": "bot_message", "bot_id": "B0OTHER"},
        {"subtype": "message_changed", "message": {"text": "Acme BV meeting", "user": "U0SAM"}},  # an edit
        {"subtype": "message_deleted"},
        {"subtype": "file_share"},
        {"channel_type": "channel", "channel": "C0SALES"},  # not the DM
    ],
)
def test_the_bot_answers_no_bot_no_edit_and_nothing_outside_its_dm(coachbot, slack, fields):
    mark = slack.mark()
    event = {**dm("Acme BV no-answer"), **fields}
    assert coachbot.event(event, f"EvIgnored{next(_ids)}").status == 200
    settled(coachbot)
    assert slack.since(mark, "chat.postMessage") == []
    assert entries(coachbot) == []


def test_a_retried_delivery_of_a_message_logs_it_once_and_answers_once(coachbot, slack):
    event = dm("Acme BV no-answer")
    mark = slack.mark()
    assert coachbot.event(event, "EvDmRetry").status == 200
    slack.wait_for("chat.postMessage", since=mark)
    assert coachbot.event(event, "EvDmRetry", retry=1).status == 200
    assert coachbot.event(event, "EvDmRetry", retry=2).status == 200
    settled(coachbot)
    assert len(slack.since(mark, "chat.postMessage")) == 1
    assert len(entries(coachbot)) == 1
