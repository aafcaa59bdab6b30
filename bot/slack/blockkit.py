"""Block Kit payloads: what reps see, built from the catalogs in their language.

Payloads are data; every sentence in them comes from `coaching/catalog/`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from coaching.domain import LOGGABLE_WORK, OUTCOME_DUTCH, WORK_DUTCH, Outcome, StopReason, WorkType
from coaching.i18n import t, when
from coaching.render import escape

# Action ids of the follow-up buttons; the value of each is the nudge id.
FOLLOWUP_LOG = {
    "followup_log_no_answer": Outcome.NO_ANSWER,
    "followup_log_reached": Outcome.CONNECTED,
    "followup_log_meeting": Outcome.MEETING,
}
FOLLOWUP_SNOOZE = ("followup_snooze_hour", "followup_snooze_morning", "followup_snooze_next_day")
FOLLOWUP_STOP = "followup_stop"
TIP_MUTE = "tip_mute"
TIP_RESUME = "tip_resume"
BREAK_START = "break_start"


def unescape(text: str | None) -> str:
    """Command text as the rep typed it: Slack escapes &, < and > in what it hands the bot."""
    return (text or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def outcome_name(language: str, outcome: Outcome | str) -> str:
    """An outcome as the rep reads it."""
    return t(language, f"outcome.{Outcome(outcome).value}")


def work_name(language: str, work: WorkType | str) -> str:
    """A kind of work as the rep reads it."""
    return t(language, f"work.{WorkType(work).value}")


def local_when(language: str, at: dt.datetime, now: dt.datetime, tz: ZoneInfo) -> str:
    """`at` in the rep's zone, relative to their today."""
    return when(language, at.astimezone(tz), now.astimezone(tz))


def local_date(language: str, day: dt.date) -> str:
    """A date as a rep reads it: "Mon 7 Dec" / "ma 7 dec"."""
    weekday = t(language, "time.weekdays").split()[day.weekday()]
    month = t(language, "time.months").split()[day.month - 1]
    return f"{weekday} {day.day} {month}"


def outcomes_list(language: str) -> str:
    """Every outcome a rep can type, in the rep's language first: `no-answer` / `geen-gehoor`, ..."""
    return ", ".join(_pair(language, o.value, OUTCOME_DUTCH[o]) for o in Outcome)


def works_list(language: str, kinds: tuple[WorkType, ...] = LOGGABLE_WORK) -> str:
    """Every kind of work in `kinds` a rep can type, in the rep's language first."""
    return ", ".join(_pair(language, k.value, WORK_DUTCH[k]) for k in kinds)


def _pair(language: str, english: str, dutch: str) -> str:
    first, second = (dutch, english) if language == "nl" else (english, dutch)
    return f"`{first}` / `{second}`"


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section block."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict[str, Any]:
    """A small-print context block."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    """A button element."""
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def stop_menu(language: str, value: str) -> dict[str, Any]:
    """Stop following up, saying why: a menu of `StopReason`s (each option's value `<nudge id>:<reason>`).

    A lead stopped for a reason isn't counted as dropped early; Slack's own dialog confirms the choice.
    """
    options = [
        {
            "text": {"type": "plain_text", "text": t(language, f"stop.{reason.value}")},
            "value": f"{value}:{reason.value}",
        }
        for reason in StopReason
    ]
    return {
        "type": "static_select",
        "action_id": FOLLOWUP_STOP,
        "placeholder": {"type": "plain_text", "text": t(language, "nudge.stop_placeholder")},
        "options": options,
        "confirm": {
            "title": {"type": "plain_text", "text": t(language, "nudge.stop_confirm_title")},
            "text": {"type": "plain_text", "text": t(language, "nudge.stop_confirm_text")},
            "confirm": {"type": "plain_text", "text": t(language, "nudge.stop_confirm_yes")},
            "deny": {"type": "plain_text", "text": t(language, "nudge.stop_confirm_no")},
        },
    }


def tip_blocks(language: str, text: str, code: str, resume: bool = False) -> list[dict[str, Any]]:
    """A coaching tip and its buttons: mute its rule for a week, and (about leads dropped early) put them back."""
    elements = [button(t(language, "tip.btn_mute"), TIP_MUTE, code)]
    if resume:
        elements.insert(0, button(t(language, "tip.btn_resume"), TIP_RESUME, code, "primary"))
    return [section(text), {"type": "actions", "block_id": f"tip:{code}", "elements": elements}]


def _log_attempt_buttons(language: str, value: str) -> list[dict[str, Any]]:
    """The buttons that log the attempt a follow-up asks for: no answer, reached, meeting.

    Slack's guideline is one primary button per set: "reached" is the one, the attempt the nudge is there for.
    """
    return [
        button(t(language, "nudge.btn_no_answer"), "followup_log_no_answer", value),
        button(t(language, "nudge.btn_reached"), "followup_log_reached", value, "primary"),
        button(t(language, "nudge.btn_meeting"), "followup_log_meeting", value),
    ]


@dataclass(frozen=True)
class ListLine:
    """One follow-up in the day's list, as the rep sees it: open (with buttons) or done (what was done)."""

    nudge_id: int
    lead: str
    lead_id: int
    attempt: int
    last_outcome: str | None
    last_at: dt.datetime | None
    since: dt.date | None = None  # rolled over: open since that day
    done: str | None = None  # what a button on it did
    handled: bool = False  # the lead moved on elsewhere (a /call, another list's button)


# Blocks one line of the list takes: open (its text and its buttons) or done (its text).
LINE_OPEN_BLOCKS, LINE_DONE_BLOCKS = 2, 1
LIST_SNOOZE = "followup_snooze_next_day"


def followup_line(
    language: str, line: ListLine, *, target: int, now: dt.datetime, tz: ZoneInfo
) -> list[dict[str, Any]]:
    """One line of the day's follow-up list: lead, attempt n of the target, the last try, since when, buttons.

    Every addition to a line (another button, another fact) is made here, so the list, its updates and the App
    Home stay alike.
    """
    if line.done:
        return [section(f":white_check_mark: {line.done}")]
    if line.handled:
        return [section(":white_check_mark: " + t(language, "daylist.line_handled", lead=escape(line.lead)))]
    parts = [t(language, "daylist.line", lead=escape(line.lead), attempt=line.attempt, target=target)]
    if line.last_outcome and line.last_at:
        outcome = outcome_name(language, line.last_outcome)
        parts.append(
            t(language, "daylist.line_last", outcome=outcome, when=local_when(language, line.last_at, now, tz))
        )
    if line.since:
        parts.append(t(language, "daylist.line_since", day=weekday_name(language, line.since.weekday())))
    value = str(line.nudge_id)
    buttons = [
        *_log_attempt_buttons(language, value),
        lead_card_button(language, line.lead_id),
        button(t(language, "nudge.btn_snooze_hour"), "followup_snooze_hour", value),
        button(t(language, "daylist.btn_snooze"), LIST_SNOOZE, value),
        stop_menu(language, value),
    ]
    return [
        section(" · ".join(parts)),
        {"type": "actions", "block_id": f"list_line:{line.nudge_id}", "elements": buttons},
    ]


def followup_list(
    language: str,
    *,
    day: dt.date,
    lines: list[ListLine],
    more: int,
    done: int,
    total: int,
    target: int,
    now: dt.datetime,
    tz: ZoneInfo,
    held: list[str] | tuple[str, ...] = (),
    with_list: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """The day's follow-up list: a header with the progress ("4 of 7 done"), why, a line each, "N more".

    `held` are the day's messages that went past the rep's budget: shown here, quietly, instead. `with_list` are
    focus summaries due when the list was first sent, under its header: the rep is told once, not twice.
    """
    header = t(language, "daylist.header", day=local_date(language, day), progress=progress(language, done, total))
    blocks = [section(header), *(context(t(language, "daylist.with_list", text=text)) for text in with_list)]
    blocks.append(context(t(language, "nudge.followup_why")))
    for line in lines:
        blocks += followup_line(language, line, target=target, now=now, tz=tz)
    if more:
        blocks.append(context(t(language, "daylist.more", count=more)))
    blocks += [context(t(language, "daylist.held", text=text)) for text in held]
    return {"text": header, "blocks": blocks}


def progress(language: str, done: int, total: int) -> str:
    """The list's progress, "4 of 7 done", or that all are."""
    if total and done >= total:
        return t(language, "daylist.all_done", total=total)
    return t(language, "daylist.progress", done=done, total=total)


def list_added(language: str, *, added: int, done: int, total: int) -> dict[str, Any]:
    """The afternoon's one short DM: how many follow-ups joined the day's list since it was sent."""
    what = t(language, "daylist.added_one") if added == 1 else t(language, "daylist.added_some", n=added)
    return plain(t(language, "daylist.added", added=what, progress=progress(language, done, total)))


def resolved_message(headline: str, outcome_line: str, tips: list[dict[str, Any]] | tuple = ()) -> dict[str, Any]:
    """A nudge after its button was used: the buttons give way to what was done (and a tip's blocks, if one is due)."""
    return {"text": outcome_line, "blocks": [section(headline), context(outcome_line), *tips]}


def break_message(language: str, *, nudge_id: int, minutes: int) -> dict[str, Any]:
    """The break suggestion, with a button that starts a 10-minute break."""
    text = t(language, "nudge.break_text", minutes=minutes)
    return {
        "text": text,
        "blocks": [
            section(text),
            {
                "type": "actions",
                "block_id": f"break:{nudge_id}",
                "elements": [
                    button(t(language, "nudge.btn_break"), BREAK_START, str(nudge_id), "primary"),
                    # The break suggestion is rule M501's tip, by DM: it can be muted like any other tip.
                    button(t(language, "tip.btn_mute"), TIP_MUTE, "M501"),
                ],
            },
        ],
    }


def plain(text: str) -> dict[str, Any]:
    """A message that is one mrkdwn section."""
    return {"text": text, "blocks": [section(text)]}


def help_call(language: str) -> str:
    """`/call help`."""
    return t(language, "help.call", outcomes=outcomes_list(language))


def parse_error(language: str, key: str, params: dict[str, Any], command: str) -> str:
    """What was wrong, then what is right: the valid words and an example."""
    safe = {k: escape(str(v)) for k, v in params.items()}
    lines = [t(language, key, **safe)]
    if command == "call":
        lines += [t(language, "error.footer_outcomes", outcomes=outcomes_list(language))]
        lines += [t(language, "error.footer_example_call")]
    elif command == "log":
        lines += [t(language, "error.footer_example_log", works=works_list(language))]
    elif command == "break":
        lines += [t(language, "error.footer_example_break")]
    elif command == "coach":
        lines += [t(language, "coach.help", works=works_list(language))]
    elif command == "lead":
        lines += [t(language, "lead.how")]
    elif command == "focus":
        lines += [t(language, "error.footer_example_focus", works=works_list(language, tuple(WorkType)))]
    return "\n".join(lines)


CALL_FORM = "call_form"


def call_form(language: str) -> dict[str, Any]:
    """The form a bare `/call` opens: lead, outcome, research and decision-maker boxes, note."""

    def label(key: str) -> dict[str, str]:
        return {"type": "plain_text", "text": t(language, key)}

    def option(text: str, value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": text}, "value": value}

    return {
        "type": "modal",
        "callback_id": CALL_FORM,
        "title": label("call.modal_title"),
        "submit": label("call.modal_submit"),
        "close": label("call.modal_cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": "lead",
                "label": label("call.modal_lead"),
                "hint": label("call.modal_lead_hint"),
                "element": {"type": "plain_text_input", "action_id": "lead", "max_length": 120},
            },
            {
                "type": "input",
                "block_id": "outcome",
                "label": label("call.modal_outcome"),
                "element": {
                    "type": "static_select",
                    "action_id": "outcome",
                    "options": [option(outcome_name(language, o), o.value) for o in Outcome],
                },
            },
            {
                "type": "input",
                "block_id": "flags",
                "optional": True,
                "label": label("call.modal_flags"),
                "element": {
                    "type": "checkboxes",
                    "action_id": "flags",
                    "options": [
                        option(t(language, "call.flag_research"), "researched"),
                        option(t(language, "call.flag_dm"), "decision_maker"),
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "note",
                "optional": True,
                "label": label("call.modal_note"),
                "element": {"type": "plain_text_input", "action_id": "note", "max_length": 1000},
            },
        ],
    }


def form_values(state: dict[str, Any]) -> dict[str, Any]:
    """The call form's submitted values as plain Python values."""
    values = state.get("values", {})

    def element(block: str) -> dict[str, Any]:
        return values.get(block, {}).get(block, {}) or {}

    selected = element("outcome").get("selected_option") or {}
    return {
        "lead": element("lead").get("value") or "",
        "outcome": selected.get("value"),
        "flags": [o.get("value") for o in element("flags").get("selected_options") or []],
        "note": element("note").get("value") or "",
    }


def logged_view(language: str, text: str) -> dict[str, Any]:
    """The form, once the call is stored: what was logged."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": t(language, "call.modal_logged_title")},
        "close": {"type": "plain_text", "text": t(language, "call.modal_close")},
        "blocks": [section(text)],
    }


def weekday_name(language: str, weekday: int) -> str:
    """A weekday's short name: "Fri" / "vr"."""
    return t(language, "time.weekdays").split()[weekday]


def home_view(
    language: str,
    *,
    scorecard: str,
    followups: list[tuple[int, int, str, int, str]],
    target: int,
    page: int = 0,
    pages: int = 1,
    open_total: int = 0,
    today: str,
    team_line: str | None,
    chart_file: str | None,
    commands: str,
    logged_this_week: bool = True,
) -> dict[str, Any]:
    """The App Home tab: scorecard, today, chart, follow-ups with buttons, commands; a manager's starts with the team.

    `chart_file` is the id of a chart Slack has shown ready and shared with the rep (bot.usecases.home); without
    one, the Home has no image. A manager who logged nothing this week gets one line instead of an empty scorecard.
    """
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": "Sales Coach"}}]
    if team_line:
        blocks += [section(t(language, "home.team") + "\n" + team_line), {"type": "divider"}]
    if team_line and not logged_this_week:
        blocks.append(context(t(language, "home.own_none")))
    else:
        blocks += [section(scorecard), {"type": "divider"}, section(t(language, "home.today") + "\n" + today)]
    if chart_file:
        blocks.append({"type": "image", "slack_file": {"id": chart_file}, "alt_text": t(language, "home.chart_alt")})
    blocks += [{"type": "divider"}, section(t(language, "home.followups"))]
    if not followups:
        blocks.append(context(t(language, "home.followups_none")))
    for nudge_id, lead_id, lead, attempt, when_text in followups:
        value = str(nudge_id)
        line = t(language, "home.followup_line", lead=escape(lead), attempt=attempt, target=target, when=when_text)
        blocks.append(section(line))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"home_followup:{nudge_id}",
                "elements": [
                    *_log_attempt_buttons(language, value),
                    button(t(language, "nudge.btn_snooze_next_day"), "followup_snooze_next_day", value),
                    stop_menu(language, value),
                    lead_card_button(language, lead_id),
                ],
            }
        )
    if pages > 1:
        blocks += _home_pager(language, page, pages, len(followups), open_total)
    blocks += [{"type": "divider"}, section(commands)]
    return {"type": "home", "blocks": blocks[:100]}


HOME_PAGE = "home_followups_page"
HOME_PAGES = (f"{HOME_PAGE}_previous", f"{HOME_PAGE}_next")
HOME_PAGE_SIZE = 10


def _home_pager(language: str, page: int, pages: int, shown: int, total: int) -> list[dict[str, Any]]:
    """Which of the open follow-ups the page shows, and the buttons to the previous and next page."""
    buttons = []
    if page > 0:
        buttons.append(button(t(language, "homepage.previous"), f"{HOME_PAGE}_previous", str(page - 1)))
    if page + 1 < pages:
        buttons.append(button(t(language, "homepage.next"), f"{HOME_PAGE}_next", str(page + 1)))
    first = page * HOME_PAGE_SIZE
    blocks = [context(t(language, "homepage.more", shown=f"{first + 1}-{first + shown}", total=total))]
    if buttons:
        blocks.append({"type": "actions", "block_id": "home_followups_pager", "elements": buttons})
    return blocks


SETTINGS_FORM = "team_settings"


def settings_form(
    language: str,
    settings: dict[str, Any],
    fallback_tz: str,
    country: str | None = None,
    hubspot: str | None = None,
    *,
    notice: str | None = None,
    hubspot_link: str | None = None,
) -> dict[str, Any]:
    """The managers' team settings form, filled with the current values; `notice` above the fields.

    `hubspot` is the key of the line that says where HubSpot stands (the token field is never filled in: a token
    once given is not shown again); None leaves HubSpot out (no SALESCOACH_SECRET_KEY). `hubspot_link`, when a
    HubSpot public app is configured, is the manager's own "Connect HubSpot" link (OAuth), shown as a button.
    """
    from coaching.cadence import CadenceSettings
    from coaching.daylist import DEFAULT_BUDGET
    from coaching.hours import WorkingHours
    from coaching.seasons import PostSchedule
    from coaching.settings import CoachSettings

    hours = WorkingHours.from_dict(settings.get("work_hours"))
    cadence = CadenceSettings.from_dict(settings.get("cadence"))
    schedule = PostSchedule.from_dict(settings.get("leaderboard"))
    thresholds = CoachSettings().with_overrides(settings.get("thresholds") or {})

    def label(key: str) -> dict[str, str]:
        return {"type": "plain_text", "text": t(language, key)}

    def option(text: str, value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": text}, "value": value}

    def field(block: str, key: str, element: dict[str, Any]) -> dict[str, Any]:
        # The block and its element share one id: settings_values reads each answer by it.
        return {"type": "input", "block_id": block, "label": label(key), "element": {**element, "action_id": block}}

    def text_input(block: str, key: str, value: object) -> dict[str, Any]:
        return field(block, key, {"type": "plain_text_input", "initial_value": str(value)})

    def time_input(block: str, key: str, value: dt.time) -> dict[str, Any]:
        return field(block, key, {"type": "timepicker", "initial_time": value.strftime("%H:%M")})

    def choice(block: str, key: str, options: list[dict[str, Any]], initial: dict[str, Any]) -> dict[str, Any]:
        return field(block, key, {"type": "static_select", "options": options, "initial_option": initial})

    days = [option(weekday_name(language, d), str(d)) for d in range(7)]
    languages = [
        option("English", "en"),
        option("Nederlands", "nl"),
        option(t(language, "settings.language_auto"), "auto"),
    ]
    current_language = settings.get("language") or "auto"
    return {
        "type": "modal",
        "callback_id": SETTINGS_FORM,
        "title": label("settings.title"),
        "submit": label("settings.submit"),
        "close": label("settings.cancel"),
        "blocks": [
            *([section(notice)] if notice else []),
            time_input("hours_start", "settings.hours_start", hours.start),
            time_input("hours_end", "settings.hours_end", hours.end),
            field(
                "days",
                "settings.days",
                {"type": "checkboxes", "options": days, "initial_options": [days[d] for d in sorted(hours.days)]},
            ),
            text_input("tz", "settings.tz", settings.get("tz") or fallback_tz),
            # Optional: left empty, the country follows the team's time zone.
            {**text_input("country", "settings.country", settings.get("country") or country or ""), "optional": True},
            text_input("gaps", "settings.gaps", ",".join(str(g) for g in cadence.gaps)),
            text_input("target", "settings.target", cadence.target),
            text_input("max_attempts", "settings.max_attempts", cadence.max_attempts),
            choice("post_day", "settings.post_day", days, days[schedule.weekday]),
            time_input("post_time", "settings.post_time", schedule.time),
            choice(
                "language", "settings.language", languages, next(o for o in languages if o["value"] == current_language)
            ),
            text_input("connect_floor", "settings.connect_floor", round(thresholds.connect_rate_floor * 100)),
            text_input("streak", "settings.streak", thresholds.streak_max_minutes),
            text_input("admin", "settings.admin", thresholds.admin_max_minutes),
            text_input("notify_budget", "daylist.budget", settings.get("notify_budget") or DEFAULT_BUDGET),
            *(
                [
                    {
                        **field("hubspot_token", "settings.hubspot_token", {"type": "plain_text_input"}),
                        "optional": True,
                        "hint": label(hubspot),
                    }
                ]
                if hubspot
                else []
            ),
            *(
                [
                    {
                        "type": "actions",
                        "block_id": HUBSPOT_CONNECT,
                        "elements": [
                            {
                                "type": "button",
                                "action_id": HUBSPOT_CONNECT,
                                "text": label("hubspot_oauth.button"),
                                "url": hubspot_link,
                                "style": "primary",
                            }
                        ],
                    }
                ]
                if hubspot and hubspot_link
                else []
            ),
        ],
    }


HUBSPOT_CONNECT = "hubspot_connect"  # the settings form's "Connect HubSpot" link button (opens our /hubspot/install)


def settings_values(state: dict[str, Any]) -> dict[str, Any]:
    """The settings form's submitted values as plain Python values."""
    values = state.get("values", {})

    def element(block: str) -> dict[str, Any]:
        return values.get(block, {}).get(block, {}) or {}

    def text(block: str) -> str:
        return element(block).get("value") or ""

    return {
        "hours_start": element("hours_start").get("selected_time"),
        "hours_end": element("hours_end").get("selected_time"),
        "days": [int(o["value"]) for o in element("days").get("selected_options") or []],
        "tz": text("tz").strip(),
        "country": text("country").strip(),
        "gaps": text("gaps"),
        "target": text("target"),
        "max_attempts": text("max_attempts"),
        "post_day": (element("post_day").get("selected_option") or {}).get("value"),
        "post_time": element("post_time").get("selected_time"),
        "language": (element("language").get("selected_option") or {}).get("value"),
        "connect_floor": text("connect_floor"),
        "streak": text("streak"),
        "admin": text("admin"),
        "notify_budget": text("notify_budget"),
        "hubspot_token": text("hubspot_token").strip(),
    }


def notice_view(language: str, title_key: str, text: str) -> dict[str, Any]:
    """A form, once submitted: what was done."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": t(language, title_key)[:24]},
        "close": {"type": "plain_text", "text": t(language, "call.modal_close")},
        "blocks": [section(text)],
    }


# The lead card (bot.usecases.leadcard). The value of each button is the lead's id.
LEAD_CARD = "lead_card"  # on a follow-up: the card comes as a new message only the rep sees
LEAD_CARD_PICK = "lead_card_pick"  # on the list `/lead` offers: the card replaces the list
LEAD_CARD_BLOCKS = 48  # Slack takes 50 blocks in a message; two are left for what follows a card
TEXT_LIMIT = 3000  # characters in one section's text


@dataclass(frozen=True)
class CrmSection:
    """A lead's record in the team's CRM, for the card: key fields (labels in the rep's language) and a link."""

    crm: str  # the CRM's name, e.g. "HubSpot"
    fields: tuple[tuple[str, str], ...] = ()
    url: str | None = None


def lead_card_button(
    language: str, lead_id: int, action_id: str = LEAD_CARD, label: str | None = None
) -> dict[str, Any]:
    """The button that opens a lead's card."""
    return button(label or t(language, "lead.button"), action_id, str(lead_id))


def lead_card(
    language: str,
    *,
    lead: str,
    summary: list[str],
    attempts: list[str],
    earlier: str | None,
    crm: CrmSection | None = None,
) -> dict[str, Any]:
    """The card: the lead, its summary (calls, research, decision maker, next attempt), the CRM, the calls.

    `attempts` are mrkdwn lines, newest first, a block each; `earlier` sums up the calls before them. The caller
    shows few enough to leave room (bot.usecases.leadcard shows 15); more than 50 blocks' worth are cut off, as
    Slack would refuse the whole message.
    """
    title = t(language, "lead.title", lead=lead)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(title, 150)}},
        section(_clip("\n".join(summary))),
    ]
    if crm is not None:
        lines = [t(language, "lead.crm_title", crm=escape(crm.crm))]
        lines += [f"{escape(label)}: {escape(value)}" for label, value in crm.fields]
        if crm.url:
            # Slack's link markup is built here: a catalog's `<` that isn't markup yet would be escaped as it is read.
            lines.append(f"<{escape(crm.url)}|{t(language, 'lead.crm_link', crm=escape(crm.crm))}>")
        blocks += [{"type": "divider"}, section(_clip("\n".join(lines)))]
    blocks += [{"type": "divider"}, section(t(language, "lead.history"))]
    room = LEAD_CARD_BLOCKS - len(blocks) - 1
    blocks += [section(_clip(line)) for line in attempts[:room]]
    if earlier:
        blocks.append(context(_clip(earlier)))
    # The header is plain text; the notification's text is mrkdwn, so the name is escaped there.
    return {"text": t(language, "lead.title", lead=escape(lead)), "blocks": blocks}


def lead_choices(language: str, text: str, choices: list[tuple[int, str]], more: str | None) -> dict[str, Any]:
    """Several leads match: a button for each, which opens its card in place of the list."""
    elements = [lead_card_button(language, lead_id, LEAD_CARD_PICK, _clip(name, 75)) for lead_id, name in choices]
    blocks = [section(text), {"type": "actions", "block_id": "lead_choices", "elements": elements}]
    if more:
        blocks.append(context(more))
    return {"text": text, "blocks": blocks}


def lead_card_modal(language: str, card: dict[str, Any]) -> dict[str, Any]:
    """The card as a modal, for the button on the App Home (a view has no message to answer below)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": t(language, "lead.modal_title")[:24]},
        "close": {"type": "plain_text", "text": t(language, "call.modal_close")},
        "blocks": card["blocks"],
    }


def _clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """`text` cut to Slack's limit, with an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
