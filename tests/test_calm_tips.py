"""Stop says why, and tips that don't nag, through the real app: stop reasons keep leads out of "dropped early",
a tip about the same lead waits 5 business days, a rule can be muted for a week, and the digest counts both."""

import datetime as dt
import json
import time
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.slack.standin import texts
from bot.storage.models import Lead, Nudge, RuleMute, TipShown
from tests.conftest import TEAM, click_payload
from tests.test_messages import say

AMS, LON = ZoneInfo("Europe/Amsterdam"), ZoneInfo("Europe/London")
M201_EN, M201_NL = "Leads dropped early", "Te vroeg losgelaten"


def at(tz, *args):
    return dt.datetime(*args, tzinfo=tz).astimezone(dt.UTC)


def choose(coachbot, action_id, option_value, user):
    """`user` picks an option from a menu on a DM the bot sent (a `static_select`)."""
    payload = click_payload(action_id, "", user, TEAM, coachbot.slack.response_url())
    payload["actions"] = [
        {
            "action_id": action_id,
            "block_id": "b",
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": "?"}, "value": option_value},
            "action_ts": f"{time.time():.6f}",
        }
    ]
    payload["trigger_id"] = f"{int(time.time())}.3.{uuid.uuid4().hex[:8]}"
    return coachbot.interact(payload)


def delivered_followup(coachbot, user, lead):
    with coachbot.db.read() as s:
        return s.scalar(
            select(Nudge)
            .join(Lead, Lead.id == Nudge.lead_id)
            .where(Nudge.user_id == user, Lead.name == lead, Nudge.status == "sent", Nudge.kind == "followup")
        )


def stop_options(dm):
    return [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"] if e["type"] == "static_select"]


def dropped_and_stopped(coachbot, slack, user, tz, reason_lead, plain_lead, reason):
    """Two unreached leads on Monday; Tuesday one is stopped from its DM for `reason`, the other without one."""
    coachbot.clock.set(at(tz, 2026, 11, 23, 10, 0))
    for lead in (reason_lead, plain_lead):
        coachbot.slash("/call", f"{lead} no-answer +research", user=user)
    coachbot.clock.set(at(tz, 2026, 11, 24, 10, 0))
    coachbot.sweep()
    [menu] = stop_options(next(d for d in coachbot.dms(user=user) if reason_lead in texts(d)))
    reasons = [o["value"].split(":")[1] for o in menu["options"]]
    assert reasons == ["not-a-fit", "bought-elsewhere", "wrong-number", "do-not-call", "other"]
    mark = slack.mark()
    choose(coachbot, "followup_stop", f"{delivered_followup(coachbot, user, reason_lead).id}:{reason}", user)
    [stopped] = slack.wait_for("response_url", since=mark)
    mark = slack.mark()
    coachbot.click("followup_stop", str(delivered_followup(coachbot, user, plain_lead).id), user=user)
    slack.wait_for("response_url", since=mark)
    return texts(stopped.params)


def test_a_stop_with_a_reason_is_not_dropped_early_and_the_tip_names_only_the_others(coachbot, slack):
    shown = dropped_and_stopped(
        coachbot, slack, "U0SAM", LON, "Kestrel Aviation", "Lakeside Dental", "bought-elsewhere"
    )
    assert "Stopped following up *Kestrel Aviation* after 1 attempt: bought elsewhere." in shown
    assert "doesn't count as dropped early" in shown
    with coachbot.db.read() as s:
        reasons = {name: reason for name, reason in s.execute(select(Lead.name, Lead.stop_reason))}
    assert reasons == {"Kestrel Aviation": "bought-elsewhere", "Lakeside Dental": None}
    reply = coachbot.slash("/log", "email 10", user="U0SAM")
    assert M201_EN in reply.text and "Lakeside Dental" in reply.text and "Kestrel Aviation" not in reply.text
    buttons = {
        e["action_id"]: e["value"] for b in reply.json["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    assert buttons == {"tip_resume": "M201", "tip_mute": "M201"}


def test_dutch_stop_reasons_and_tip(coachbot, slack):
    shown = dropped_and_stopped(coachbot, slack, "U0ANOUK", AMS, "Bakkerij Jansen", "Van Dijk BV", "do-not-call")
    assert "Gestopt met opvolgen van *Bakkerij Jansen* na 1 poging: wil niet gebeld worden." in shown
    assert "telt niet als te vroeg losgelaten" in shown
    reply = coachbot.slash("/log", "e-mail 10", user="U0ANOUK")
    assert M201_NL in reply.text and "Van Dijk BV" in reply.text and "Bakkerij Jansen" not in reply.text
    assert "Zet ze terug in de opvolging" in reply.text and "Deze tip een week uitzetten" in reply.text


@pytest.mark.parametrize(
    "user, tz, work, marker",
    [("U0SAM", LON, "email 10", M201_EN), ("U0ANOUK", AMS, "e-mail 10", M201_NL)],
    ids=["en", "nl"],
)
def test_a_tip_about_the_same_lead_waits_five_business_days(coachbot, slack, user, tz, work, marker):
    dropped_and_stopped(coachbot, slack, user, tz, "Kestrel Aviation", "Lakeside Dental", "wrong-number")
    assert marker in coachbot.slash("/log", work, user=user).text  # Tuesday
    for day in (25, 26, 27, 30):  # Wednesday to the next Monday: four business days
        coachbot.clock.set(at(tz, 2026, 11, day, 11, 0))
        assert marker not in coachbot.slash("/log", work, user=user).text
    coachbot.clock.set(at(tz, 2026, 12, 1, 11, 0))  # Tuesday: five business days on
    assert "Lakeside Dental" in coachbot.slash("/log", work, user=user).text
    with coachbot.db.read() as s:
        days = [row.day for row in s.scalars(select(TipShown).where(TipShown.code == "M201"))]
    assert days == [dt.date(2026, 11, 24), dt.date(2026, 12, 1)]


def test_a_new_lead_dropped_early_is_told_the_same_week(coachbot, slack):
    dropped_and_stopped(coachbot, slack, "U0SAM", LON, "Kestrel Aviation", "Lakeside Dental", "other")
    assert M201_EN in coachbot.slash("/log", "email 10", user="U0SAM").text  # Tuesday: Lakeside Dental
    coachbot.clock.set(at(LON, 2026, 11, 25, 10, 0))
    coachbot.slash("/call", "Meridian Print no-answer +research", user="U0SAM")
    coachbot.clock.set(at(LON, 2026, 11, 26, 10, 0))
    coachbot.sweep()
    coachbot.click("followup_stop", str(delivered_followup(coachbot, "U0SAM", "Meridian Print").id), user="U0SAM")
    reply = coachbot.slash("/log", "email 10", user="U0SAM").text
    assert M201_EN in reply and "Meridian Print" in reply


def test_mute_for_a_week_and_put_leads_back_in_the_cadence(coachbot, slack):
    dropped_and_stopped(coachbot, slack, "U0SAM", LON, "Kestrel Aviation", "Lakeside Dental", "not-a-fit")
    coachbot.slash("/log", "email 10", user="U0SAM")
    mark = slack.mark()
    coachbot.click("tip_resume", "M201", user="U0SAM")
    [answer] = slack.wait_for("response_url", since=mark)
    assert "Back in the cadence: Lakeside Dental" in texts(answer.params)
    assert answer.params.get("replace_original") in (False, "false")
    with coachbot.db.read() as s:
        lead = s.scalar(select(Lead).where(Lead.name == "Lakeside Dental"))
        pending = s.scalar(select(Nudge).where(Nudge.lead_id == lead.id, Nudge.status == "pending"))
        kestrel = s.scalar(select(Lead.cadence).where(Lead.name == "Kestrel Aviation"))
    assert lead.cadence == "active" and pending.attempt == 2 and kestrel == "stopped"
    mark = slack.mark()
    coachbot.click("tip_mute", "M201", user="U0SAM")
    [muted] = slack.wait_for("response_url", since=mark)
    assert "no tips about *Lead dropped early* until Tue 1 Dec" in texts(muted.params)
    with coachbot.db.read() as s:
        [mute] = s.scalars(select(RuleMute)).all()
    assert (mute.code, mute.until) == ("M201", at(LON, 2026, 12, 1, 10, 0))


def test_the_digest_counts_tips_shown_and_muted_per_rule(coachbot, slack):
    dropped_and_stopped(coachbot, slack, "U0SAM", LON, "Kestrel Aviation", "Lakeside Dental", "other")
    coachbot.slash("/log", "email 10", user="U0SAM")
    coachbot.click("tip_mute", "M201", user="U0SAM")
    coachbot.slash("/coach", "digest on", user="U0PETRA")  # Petra, a manager, is known to the bot
    coachbot.sweep(at(AMS, 2026, 11, 30, 9, 0))
    [digest] = [d for d in coachbot.dms(user="U0PETRA") if "Tips deze week" in texts(d)]
    assert "M201 " in texts(digest) and "1× getoond, 1× uitgezet" in texts(digest)


def test_a_tip_in_the_messages_tab_has_its_buttons_too(coachbot, slack):
    dropped_and_stopped(coachbot, slack, "U0SAM", LON, "Kestrel Aviation", "Lakeside Dental", "other")
    answer = say(coachbot, slack, "email 10 newsletter")
    assert M201_EN in texts(answer) and "Logged 10 min of email" in answer["text"]
    blocks = json.loads(answer["blocks"]) if isinstance(answer["blocks"], str) else answer["blocks"]
    assert [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]] == [
        "tip_resume",
        "tip_mute",
    ]


def test_the_break_suggestion_is_m501s_tip_and_mutes_like_one(coachbot, slack):
    coachbot.clock.set(at(AMS, 2026, 11, 23, 9, 0))
    coachbot.slash("/log", "admin 95 CRM opschonen", user="U0ANOUK")  # 07:25 to 09:00, no break
    coachbot.sweep()
    [dm] = [d for d in coachbot.dms(user="U0ANOUK") if "pauze" in texts(d)]
    buttons = {e["action_id"]: e["value"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert buttons["tip_mute"] == "M501" and "Deze tip een week uitzetten" in texts(dm)
    mark = slack.mark()
    coachbot.click("tip_mute", "M501", user="U0ANOUK")
    [muted] = slack.wait_for("response_url", since=mark)
    assert "Uitgezet: tot ma 30 nov geen tips over" in texts(muted.params)
    # The next long stretch, two days later: no break suggestion while the rule is muted.
    coachbot.clock.set(at(AMS, 2026, 11, 25, 9, 0))
    coachbot.slash("/log", "admin 95 CRM opschonen", user="U0ANOUK")
    mark = slack.mark()
    coachbot.sweep()
    assert coachbot.dms(mark, user="U0ANOUK") == []
    with coachbot.db.read() as s:
        reasons = list(s.scalars(select(Nudge.last_error).where(Nudge.kind == "break", Nudge.status == "cancelled")))
    assert reasons == ["the rep muted break suggestions (M501)"]


def test_stop_with_a_reason_from_the_app_home(coachbot, slack):
    coachbot.clock.set(at(AMS, 2026, 11, 23, 10, 0))
    coachbot.slash("/call", "Globex no-answer", user="U0ANOUK")
    mark = slack.mark()
    coachbot.event({"type": "app_home_opened", "user": "U0ANOUK", "tab": "home"}, "EvHomeStop")
    [home] = slack.wait_for("views.publish", since=mark, where=lambda c: c.ok)
    [menu] = [
        e
        for b in home.params["view"]["blocks"]
        if b.get("block_id", "").startswith("home_followup:")
        for e in b["elements"]
        if e["type"] == "static_select"
    ]
    assert [o["text"]["text"] for o in menu["options"]][0] == "past niet"
    option = next(o for o in menu["options"] if o["value"].endswith(":not-a-fit"))
    mark = slack.mark()
    coachbot.interact_as(
        "block_actions",
        "U0ANOUK",
        container={"type": "view", "view_id": "V1"},
        view={"id": "V1", "type": "home"},
        actions=[{"action_id": "followup_stop", "block_id": "b", "type": "static_select", "selected_option": option}],
    )
    [again] = slack.wait_for("views.publish", since=mark)
    assert "Globex" not in texts(again.params["view"])
    with coachbot.db.read() as s:
        assert s.execute(select(Lead.cadence, Lead.stop_reason)).one() == ("stopped", "not-a-fit")
