"""The lead card through the real app: `/lead <name>` and the "Lead card" button on follow-ups and the App Home."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.slack import blockkit
from bot.slack.standin import texts
from bot.slack.standin.rules import MESSAGE_BLOCKS, block_problems
from bot.storage.models import Lead, Nudge
from tests.conftest import OTHER_TEAM

AMS, LON = ZoneInfo("Europe/Amsterdam"), ZoneInfo("Europe/London")


def local(tz, *args):
    return dt.datetime(*args, tzinfo=tz).astimezone(dt.UTC)


def lead_id(coachbot, name, team=None):
    with coachbot.db.read() as s:
        query = select(Lead.id).where(Lead.name == name)
        if team:
            query = query.where(Lead.team_id == team)
        return s.scalar(query)


def buttons(message):
    return [e for b in message.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


def acme_history(coachbot):
    """Anouk (Amsterdam) and Sam (London) call Acme BV over a few days; the last call leaves a follow-up due."""
    coachbot.clock.set(local(AMS, 2026, 11, 23, 9, 30))  # Monday
    coachbot.slash("/call", "Acme BV geen-gehoor", user="U0ANOUK")
    coachbot.clock.set(local(AMS, 2026, 11, 24, 14, 0))
    coachbot.slash("/call", "Acme BV receptie +onderzocht receptie zegt: inkoop beslist", user="U0ANOUK")
    coachbot.clock.set(local(LON, 2026, 11, 25, 10, 15))  # Wednesday, Sam takes over
    coachbot.slash("/call", "acme bv voicemail +research left a message for Mr Smith", user="U0SAM")
    coachbot.clock.set(local(LON, 2026, 11, 26, 9, 0))  # Thursday, Sam looks before the next attempt


def test_the_card_shows_the_teams_history_of_a_lead_to_the_rep_alone_in_english(coachbot):
    acme_history(coachbot)
    reply = coachbot.slash("/lead", "acme", user="U0SAM")
    assert reply.status == 200 and reply.json["response_type"] == "ephemeral"
    shown = reply.text
    assert "Lead card: Acme BV" in shown
    assert "3 calls by 2 reps since Mon 23 Nov. Last: voicemail, yesterday at 10:15." in shown
    assert "Researched before 2 of 3 calls." in shown
    assert "Decision maker not reached yet." in shown
    # The follow-up the cadence planned after Sam's voicemail (two working days on), in Sam's London time.
    assert "*Next attempt:* you, due tomorrow at 10:15 (attempt 4 of 6)." in shown
    # Newest first, each with when (London time), outcome, who, flags and the note.
    history = shown[shown.index("Calls, newest first") :]
    first, second, third = (history.index(f"*{n}.*") for n in (3, 2, 1))
    assert first < second < third
    assert "*3.* yesterday at 10:15: voicemail, you (researched)\nNote: left a message for Mr Smith" in history
    assert "*2.* Tue 24 Nov at 13:00: gatekeeper, Anouk de Vries (researched)" in history
    assert "Note: receptie zegt: inkoop beslist" in history
    assert "*1.* Mon 23 Nov at 08:30: no answer, Anouk de Vries" in history
    assert "before that" not in history


def test_the_card_speaks_dutch_in_the_dutch_reps_own_time_zone(coachbot):
    acme_history(coachbot)
    coachbot.slash("/call", "Acme BV bereikt +beslisser demo gepland", user="U0ANOUK")  # Thursday 10:00 Amsterdam
    shown = coachbot.slash("/lead", "ACME b.v.", user="U0ANOUK").text
    assert "Leadkaart: Acme BV" in shown
    assert "4 belpogingen door 2 verkopers sinds ma 23 nov. Laatste: bereikt, vandaag om 10:00." in shown
    assert "Vooraf onderzocht bij 2 van de 4 belpogingen." in shown
    assert "Beslisser gesproken vandaag om 10:00 (jij)." in shown
    assert "Bereikt vandaag om 10:00: geen opvolging nodig." in shown
    assert "*Belpogingen, nieuwste eerst*" in shown
    assert "*4.* vandaag om 10:00: bereikt, jij (beslisser)\nNotitie: demo gepland" in shown
    assert "*3.* gisteren om 11:15: ingesproken, Sam Carter (onderzocht)" in shown
    assert "*1.* ma 23 nov om 09:30: geen gehoor, jij" in shown


def test_a_name_is_found_whatever_its_case_accents_or_legal_form(coachbot):
    coachbot.slash("/call", "Café Señor B.V. no-answer")
    coachbot.slash("/call", "Bakkerij Jansen geen-gehoor", user="U0ANOUK")
    coachbot.slash("/call", "Hoogendijk & Zn. meeting +dm")
    for typed, found in [
        ("cafe senor", "Café Señor B.V."),
        ("CAFÉ SEÑOR BV", "Café Señor B.V."),
        ("jansen", "Bakkerij Jansen"),
        ("bakkerij jansen gmbh", "Bakkerij Jansen"),
        ("hoogendyk", "Hoogendijk &amp; Zn."),
        ("Hoogendijk &amp; Zn.", "Hoogendijk &amp; Zn."),  # Slack escapes & in what it hands the bot
    ]:
        shown = coachbot.slash("/lead", typed).text
        assert f"Lead card: {found.replace('&amp;', '&')}" in shown, typed
    assert "Decision maker reached today at 09:00 (you)." in coachbot.slash("/lead", "hoogendijk").text


def test_several_matches_give_a_short_list_whose_buttons_open_the_card(coachbot, slack):
    for name in ("Acme Bakery", "Acme Logistics", "Acme Logistics Benelux", "Globex"):
        coachbot.slash("/call", f"{name} no-answer")
    reply = coachbot.slash("/lead", "acme")
    assert "3 leads match “acme”: pick one." in reply.text
    choices = buttons(reply.json)
    assert [b["text"]["text"] for b in choices] == ["Acme Bakery", "Acme Logistics", "Acme Logistics Benelux"]
    assert {b["action_id"] for b in choices} == {blockkit.LEAD_CARD_PICK}
    mark = slack.mark()
    picked = next(b for b in choices if b["text"]["text"] == "Acme Logistics")
    assert coachbot.click(blockkit.LEAD_CARD_PICK, picked["value"]).status == 200
    [card] = slack.wait_for("response_url", since=mark)
    assert card.params.get("replace_original") in (True, "true")
    assert "Lead card: Acme Logistics" in texts(card.params) and "Benelux" not in texts(card.params)


def test_more_matches_than_fit_say_to_type_more_of_the_name(coachbot):
    for i in range(11):
        coachbot.slash("/call", f"Acme Branch {i:02d} no-answer")
    reply = coachbot.slash("/lead", "acme branch")
    assert "11 leads match" in reply.text and "And 3 more: type more of the name" in reply.text
    assert len(buttons(reply.json)) == 8


def test_no_match_says_so_and_how_to_ask(coachbot):
    coachbot.slash("/call", "Initech no-answer")
    reply = coachbot.slash("/lead", "zzyzx")
    assert "No lead in your team's calls matches “zzyzx”." in reply.text
    assert "`/lead acme`" in reply.text and "Recently called: Initech." in reply.text
    assert "Geen lead in de belpogingen van je team past bij" in coachbot.slash("/lead", "zzyzx", user="U0ANOUK").text
    assert "`/lead <name>` shows what your team knows" in coachbot.slash("/lead").text
    assert "`/lead <naam>`" in coachbot.slash("/lead", "hulp", user="U0ANOUK").text
    refused = coachbot.slash("/lead", "acme\x07")
    assert refused.status == 200 and "`/lead acme`" in refused.text


def test_another_workspaces_lead_is_never_shown(coachbot, slack):
    coachbot.slash("/call", "Acme BV no-answer secret note of the other team", user="U0JORDAN", team=OTHER_TEAM)
    coachbot.slash("/call", "Globex no-answer", user="U0JORDAN", team=OTHER_TEAM)
    coachbot.slash("/call", "Acme BV voicemail", user="U0SAM")
    shown = coachbot.slash("/lead", "acme").text
    assert "1 call by 1 rep" in shown and "secret" not in shown and "Jordan" not in shown
    assert "No lead in your team's calls matches “globex”" in coachbot.slash("/lead", "globex").text
    # A button carrying another workspace's lead id shows nothing of it.
    mark = slack.mark()
    coachbot.click(blockkit.LEAD_CARD, str(lead_id(coachbot, "Globex")))
    [answer] = slack.wait_for("response_url", since=mark)
    assert "no longer here" in texts(answer.params) and "Globex" not in texts(answer.params)


def test_a_rep_who_chose_privacy_appears_as_a_teammate(coachbot):
    coachbot.slash("/coach", "privacy on", user="U0ANOUK")
    coachbot.slash("/call", "Acme BV no-answer", user="U0ANOUK")
    coachbot.slash("/call", "Acme BV busy", user="U0SAM")
    assert "no answer, a teammate" in coachbot.slash("/lead", "acme", user="U0SAM").text
    assert "geen gehoor, jij" in coachbot.slash("/lead", "acme", user="U0ANOUK").text


def test_the_button_on_a_follow_up_opens_the_card_for_the_rep_alone(coachbot, slack):
    coachbot.clock.set(local(LON, 2026, 11, 26, 11, 0))
    coachbot.slash("/call", "Acme BV no-answer +research asked for Mr Smith", user="U0SAM")
    coachbot.clock.set(local(LON, 2026, 11, 27, 11, 0))
    coachbot.sweep()
    [dm] = [p for p in coachbot.dms(user="U0SAM") if "Acme BV" in texts(p)]
    [card_button] = [b for b in buttons(dm) if b["action_id"] == blockkit.LEAD_CARD]
    assert card_button["value"] == str(lead_id(coachbot, "Acme BV"))
    mark = slack.mark()
    assert coachbot.click(blockkit.LEAD_CARD, card_button["value"], user="U0SAM").status == 200
    [card] = slack.wait_for("response_url", since=mark)
    assert card.params.get("response_type") == "ephemeral" and card.params.get("replace_original") in (False, "false")
    shown = texts(card.params)
    assert "Lead card: Acme BV" in shown and "Note: asked for Mr Smith" in shown
    assert "*Next attempt:* you, due today at 11:00 (attempt 2 of 6)." in shown
    # The follow-up itself is untouched: the card is a message of its own.
    with coachbot.db.read() as s:
        assert s.scalar(select(Nudge.acted_at).where(Nudge.kind == "followup").order_by(Nudge.id).limit(1)) is None


def test_the_button_on_the_app_home_opens_the_card_as_a_modal(coachbot, slack):
    coachbot.slash("/call", "Bakkerij Jansen geen-gehoor", user="U0ANOUK")
    mark = slack.mark()
    home_opened = {"type": "app_home_opened", "user": "U0ANOUK", "channel": "D0ANOUK", "tab": "home", "event_ts": "1.2"}
    assert coachbot.event(home_opened, "Ev0HOME1").status == 200
    [home] = slack.wait_for("views.publish", since=mark, timeout=30)  # the first Home of the day draws a chart
    view = home.params["view"] if isinstance(home.params["view"], dict) else json.loads(home.params["view"])
    [card_button] = [b for b in buttons(view) if b["action_id"] == blockkit.LEAD_CARD]
    mark = slack.mark()
    coachbot.interact_as(
        "block_actions",
        "U0ANOUK",
        container={"type": "view", "view_id": "V1"},
        view={"id": "V1", "type": "home"},
        actions=[{"action_id": blockkit.LEAD_CARD, "block_id": "b", "value": card_button["value"], "type": "button"}],
    )
    [opened] = slack.wait_for("views.open", since=mark)
    modal = opened.params["view"] if isinstance(opened.params["view"], dict) else json.loads(opened.params["view"])
    assert modal["type"] == "modal" and modal["title"]["text"] == "Leadkaart"
    assert "Leadkaart: Bakkerij Jansen" in texts(modal)


def test_a_long_history_fits_slacks_limits_newest_first_the_rest_summed_up(coachbot):
    start = local(AMS, 2026, 9, 1, 9, 0)
    outcomes = ["geen-gehoor", "ingesproken", "bezet"]
    for i in range(40):
        coachbot.clock.set(start + dt.timedelta(days=i, minutes=i))
        note = "lange notitie " + "x" * 900
        coachbot.slash("/call", f"Lange Historie BV {outcomes[i % 3]} {note}", user=("U0ANOUK", "U0SAM")[i % 2])
    reply = coachbot.slash("/lead", "lange historie", user="U0ANOUK")
    blocks = reply.json["blocks"]
    assert block_problems(blocks, MESSAGE_BLOCKS) == [] and len(blocks) <= MESSAGE_BLOCKS
    assert all(len(texts(b)) <= 3000 for b in blocks)
    shown = reply.text
    assert "*40.*" in shown and "*26.*" in shown and "*25.*" not in shown
    assert shown.index("*40.*") < shown.index("*26.*")
    assert "En 25 belpogingen daarvoor, vanaf di 1 sep: 9× geen gehoor, 8× bezet, 8× ingesproken." in shown


def test_the_card_carries_a_crm_section_when_one_is_handed_in():
    crm = blockkit.CrmSection(
        "HubSpot", (("Lifecycle stage", "Lead"), ("Owner", "Sam & co")), "https://app.hubspot.com/1"
    )
    card = blockkit.lead_card("en", lead="Acme BV", summary=["s"], attempts=["a"], earlier=None, crm=crm)
    shown = json.dumps(card)
    assert "*In HubSpot*" in shown and "Owner: Sam &amp; co" in shown
    assert "<https://app.hubspot.com/1|Open in HubSpot>" in shown
    assert block_problems(card["blocks"], MESSAGE_BLOCKS) == []


def test_the_card_says_where_a_cadence_without_a_next_attempt_stands(coachbot, slack):
    coachbot.slash("/call", "Acme BV no-answer")
    with coachbot.db.read() as s:
        followup = s.scalar(select(Nudge.id).where(Nudge.kind == "followup"))
    coachbot.click("followup_stop", str(followup))
    slack.wait_for("response_url")
    assert "Follow-up stopped after 1 call." in coachbot.slash("/lead", "acme").text
    for _ in range(8):
        coachbot.slash("/call", "Initech busy")
        coachbot.clock.advance(days=1)
    assert "All 8 calls made: time to move it to nurture." in coachbot.slash("/lead", "initech").text
    assert "Opvolging gestopt na 1 belpoging." in coachbot.slash("/lead", "acme", user="U0ANOUK").text
