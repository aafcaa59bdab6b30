"""Parsing what reps type after `/call`, `/log`, `/break` and `/focus`, and to the bot in its Messages tab.

The parser is pure: text in, a command record or a `ParseError` out. A `ParseError` carries a catalog key and
its parameters, so the rep reads what was wrong in their own language. Nothing else ever escapes (a property
test holds it to that).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from coaching.domain import LOGGABLE_WORK, OUTCOME_ALIASES, WORK_ALIASES, Outcome, WorkType
from coaching.workdays import HolidayCalendar

#: Longest command text we accept; a call line is a few words, so anything this long is a paste gone wrong.
MAX_TEXT = 1000
#: Longest lead name.
MAX_LEAD = 120
#: Bounds on minutes per kind of entry.
MAX_LOG_MINUTES = 12 * 60
MAX_BREAK_MINUTES = 120
DEFAULT_BREAK_MINUTES = 10
MIN_FOCUS_MINUTES = 15
MAX_FOCUS_MINUTES = 4 * 60

_FLAGS = {
    "+research": "researched",
    "+onderzocht": "researched",
    "+dm": "decision_maker",
    "+beslisser": "decision_maker",
}
_QUOTES = {'"': '"', "“": "”", "„": "”", "'": "'", "‘": "’"}


class ParseError(ValueError):
    """What the rep typed can't be understood. `key` names the catalog message, `params` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class CallCommand:
    """A parsed `/call` line."""

    lead: str
    outcome: Outcome
    researched: bool = False
    decision_maker: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class WorkCommand:
    """A parsed `/log` or `/focus` line."""

    work: WorkType
    minutes: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class BreakCommand:
    """A parsed `/break` line."""

    minutes: int = DEFAULT_BREAK_MINUTES


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """Typed words mapped to values; multi-word aliases are matched as word sequences."""

    words: dict[tuple[str, ...], object] = field(default_factory=dict)

    @classmethod
    def of(cls, aliases: dict) -> _Vocabulary:
        vocab = cls()
        for value, names in aliases.items():
            for name in (value.value, *names):
                vocab.words[tuple(name.split("-"))] = value
                vocab.words[(name,)] = value
        return vocab

    def match(self, tokens: list[str], i: int) -> tuple[object, int] | None:
        """The value whose alias starts at tokens[i], and how many tokens it spans (longest first)."""
        for span in (2, 1):
            words = tuple(_fold_word(t) for t in tokens[i : i + span])
            if len(words) == span and words in self.words:
                return self.words[words], span
        return None


def _fold_word(token: str) -> str:
    return token.casefold().replace("_", "-")


_OUTCOMES = _Vocabulary.of(OUTCOME_ALIASES)
_WORK = _Vocabulary.of(WORK_ALIASES)


def normalize_lead(name: str) -> str:
    """The key leads are matched on: Unicode-normalised, case-folded, with whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def clean_text(text: str | None) -> str:
    """Check a command's raw text for what we never accept and return it stripped."""
    text = unicodedata.normalize("NFC", text or "")
    if len(text) > MAX_TEXT:
        raise ParseError("error.too_long", limit=MAX_TEXT, length=len(text))
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ParseError("error.control_characters")
    return text.strip()


def parse_call(text: str | None) -> CallCommand:
    """Parse `<lead> <outcome> [+flags] [note]`.

    The outcome is the first outcome word after at least one word of lead name, so notes may mention outcomes
    freely. A lead whose name holds an outcome word can be quoted: `/call "Busy Bee BV" voicemail`.
    """
    text = clean_text(text)
    if not text:
        raise ParseError("error.call_empty")
    lead, rest = _split_quoted_lead(text)
    tokens = rest.split()
    if lead is None:
        found = next(((i, m) for i in range(1, len(tokens)) if (m := _OUTCOMES.match(tokens, i))), None)
        if found is None:
            if len(tokens) == 1 or _OUTCOMES.match(tokens, 0):
                raise ParseError("error.call_no_lead" if _OUTCOMES.match(tokens, 0) else "error.call_no_outcome")
            raise ParseError("error.unknown_outcome", word=tokens[-1])
        start, (outcome, span) = found
        lead = " ".join(tokens[:start])
        tokens = tokens[start + span :]
    else:
        matched = _OUTCOMES.match(tokens, 0) if tokens else None
        if matched is None:
            if not tokens:
                raise ParseError("error.call_no_outcome")
            raise ParseError("error.unknown_outcome", word=tokens[0])
        outcome, span = matched
        tokens = tokens[span:]
    if not lead:
        raise ParseError("error.call_no_lead")
    if len(lead) > MAX_LEAD:
        raise ParseError("error.lead_too_long", limit=MAX_LEAD)
    flags = set()
    while tokens and tokens[0].casefold() in _FLAGS:
        flags.add(_FLAGS[tokens.pop(0).casefold()])
    if tokens and tokens[0].startswith("+") and len(tokens[0]) > 1:
        raise ParseError("error.unknown_flag", flag=tokens[0])
    return CallCommand(
        lead=lead,
        outcome=outcome,  # type: ignore[arg-type]
        researched="researched" in flags,
        decision_maker="decision_maker" in flags,
        note=" ".join(tokens),
    )


#: A direct message that is only one of these asks for the commands.
HELP_WORDS = frozenset({"help", "hulp", "?"})


def message_command(text: str | None) -> str | None:
    """What a direct message to the bot reads like: `"help"`, `"log"`, `"call"`, or None for neither.

    A message that starts with a kind of work `/log` takes reads as `/log` (`admin 30 CRM updates`), unless only
    `/call` can read it (`Mail Boxes BV no-answer`: a lead named after work). Any other message with an outcome
    word or a flag reads as `/call`. Whichever it reads like, that command's parser says what is wrong with it.
    """
    tokens = (text or "").split()
    if not tokens:
        return None
    if len(tokens) == 1 and tokens[0].casefold() in HELP_WORDS:
        return "help"
    work = _WORK.match(tokens, 0)
    if work is not None and work[0] in LOGGABLE_WORK:
        return "call" if _reads(parse_call, text) and not _reads(parse_log, text) else "log"
    if any(_OUTCOMES.match(tokens, i) for i in range(len(tokens))) or any(w.casefold() in _FLAGS for w in tokens):
        return "call"
    return None


def _reads(parse: Callable[[str | None], object], text: str | None) -> bool:
    try:
        parse(text)
    except ParseError:
        return False
    return True


def _split_quoted_lead(text: str) -> tuple[str | None, str]:
    close = _QUOTES.get(text[0])
    if close is None:
        return None, text
    end = text.find(close, 1)
    if end <= 1:
        return None, text
    return " ".join(text[1:end].split()), text[end + 1 :]


_MINUTES = re.compile(
    r"^(?:(?P<h>\d+(?:[.,]\d+)?)\s*(?:h|u|uur|hr|hrs|hour|hours))?\s*"
    r"(?:(?P<m>\d+)\s*(?:m|min|mins|minute|minutes|minuten|minuut)?)?$"
)


def parse_minutes(word: str) -> int | None:
    """`45`, `45m`, `1h`, `1.5h`, `1h30`, `2u` (Dutch: uur) as whole minutes; None if it is not a duration."""
    match = _MINUTES.match(word.casefold())
    if not match or not (match["h"] or match["m"]):
        return None
    hours = float(match["h"].replace(",", ".")) if match["h"] else 0.0
    return round(hours * 60) + (int(match["m"]) if match["m"] else 0)


def parse_log(text: str | None) -> WorkCommand:
    """Parse `<activity> <minutes> [note]` for work that isn't a call."""
    tokens = clean_text(text).split()
    if not tokens:
        raise ParseError("error.log_empty")
    matched = _WORK.match(tokens, 0)
    if matched is None or matched[0] not in LOGGABLE_WORK:
        raise ParseError("error.unknown_work", word=tokens[0])
    work, span = matched
    minutes = _required_minutes(tokens[span:], "error.log_no_minutes", 1, MAX_LOG_MINUTES)
    return WorkCommand(work=work, minutes=minutes, note=" ".join(tokens[span + 1 :]))  # type: ignore[arg-type]


def parse_focus(text: str | None) -> WorkCommand:
    """Parse `<activity> <minutes>` for a focus block."""
    tokens = clean_text(text).split()
    if not tokens:
        raise ParseError("error.focus_empty")
    matched = _WORK.match(tokens, 0)
    if matched is None:
        raise ParseError("error.unknown_focus", word=tokens[0])
    work, span = matched
    minutes = _required_minutes(tokens[span:], "error.focus_no_minutes", MIN_FOCUS_MINUTES, MAX_FOCUS_MINUTES)
    return WorkCommand(work=work, minutes=minutes, note=" ".join(tokens[span + 1 :]))  # type: ignore[arg-type]


def parse_break(text: str | None) -> BreakCommand:
    """Parse `[minutes]` for a break; no minutes means the default short break."""
    tokens = clean_text(text).split()
    if not tokens:
        return BreakCommand()
    minutes = parse_minutes(tokens[0])
    if minutes is None:
        raise ParseError("error.break_minutes", word=tokens[0])
    if not 1 <= minutes <= MAX_BREAK_MINUTES:
        raise ParseError("error.minutes_range", minutes=minutes, low=1, high=MAX_BREAK_MINUTES)
    return BreakCommand(minutes=minutes)


def _required_minutes(tokens: list[str], missing_key: str, low: int, high: int) -> int:
    minutes = parse_minutes(tokens[0]) if tokens else None
    if minutes is None:
        raise ParseError(missing_key, word=tokens[0] if tokens else "")
    if not low <= minutes <= high:
        raise ParseError("error.minutes_range", minutes=minutes, low=low, high=high)
    return minutes


@dataclass(frozen=True, slots=True)
class CoachCommand:
    """A parsed `/coach` line: what the rep asked for and its argument."""

    action: str  # scorecard|rules|help|language|away|back|privacy|digest|managers|export|forget|settings
    language: str | None = None
    until: dt.date | None = None
    switch: bool | None = None  # privacy/digest on or off
    hours: dict[str, object] | None = None  # the rep's own working hours; None with action "hours": the team's
    verb: str | None = None  # managers: list|add|remove; export: mine|team
    user_id: str | None = None


_COACH_WORDS = {
    "": "scorecard",
    "scorecard": "scorecard",
    "score": "scorecard",
    "rules": "rules",
    "regels": "rules",
    "help": "help",
    "hulp": "help",
    "language": "language",
    "taal": "language",
    "away": "away",
    "afwezig": "away",
    "back": "back",
    "terug": "back",
    "privacy": "privacy",
    "digest": "digest",
    "samenvatting": "digest",
    "managers": "managers",
    "manager": "managers",
    "export": "export",
    "exporteer": "export",
    "forget": "forget",
    "vergeet": "forget",
    "settings": "settings",
    "instellingen": "settings",
    "hours": "hours",
    "uren": "hours",
    "werktijden": "hours",
}
_DAY_NAMES = {
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: i for i, name in enumerate(("ma", "di", "wo", "do", "vr", "za", "zo"))},
}
_HOURS = re.compile(r"(\d{1,2})[:.]?(\d{2})?\s*-\s*(\d{1,2})[:.]?(\d{2})?")
_ON = {"on": True, "aan": True, "off": False, "uit": False}
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
MAX_AWAY_DAYS = 365


def parse_coach(text: str | None, today: dt.date) -> CoachCommand:
    """Parse `/coach [scorecard|rules|help|language nl|en|auto|away <date>|back]`."""
    tokens = clean_text(text).split()
    word = tokens[0].casefold() if tokens else ""
    action = _COACH_WORDS.get(word)
    if action is None:
        raise ParseError("error.coach_unknown", word=tokens[0])
    if action == "language":
        choice = tokens[1].casefold() if len(tokens) > 1 else ""
        choice = {"nederlands": "nl", "dutch": "nl", "english": "en", "engels": "en", "slack": "auto"}.get(
            choice, choice
        )
        if choice not in ("nl", "en", "auto"):
            raise ParseError("error.language", word=tokens[1] if len(tokens) > 1 else "")
        return CoachCommand("language", language=None if choice == "auto" else choice)
    if action == "away":
        until = parse_date(tokens[1], today) if len(tokens) > 1 else None
        if until is None:
            raise ParseError("error.away_date", word=tokens[1] if len(tokens) > 1 else "")
        if not today <= until <= today + dt.timedelta(days=MAX_AWAY_DAYS):
            raise ParseError("error.away_range", days=MAX_AWAY_DAYS)
        return CoachCommand("away", until=until)
    if action in ("privacy", "digest"):
        choice = tokens[1].casefold() if len(tokens) > 1 else ""
        if choice not in _ON:
            raise ParseError("error.on_off", command=f"/coach {word}", word=tokens[1] if len(tokens) > 1 else "")
        return CoachCommand(action, switch=_ON[choice])
    if action == "managers":
        verb = tokens[1].casefold() if len(tokens) > 1 else "list"
        verb = {"toevoegen": "add", "verwijderen": "remove", "lijst": "list"}.get(verb, verb)
        if verb == "list":
            return CoachCommand("managers", verb="list")
        mention = _MENTION.fullmatch(tokens[2]) if len(tokens) > 2 and verb in ("add", "remove") else None
        if mention is None:
            raise ParseError("error.manager_mention")
        return CoachCommand("managers", verb=verb, user_id=mention[1])
    if action == "hours":
        if len(tokens) < 2 or tokens[1].casefold() in ("team", "default", "standaard"):
            return CoachCommand("hours")
        rest, country = _country_option(tokens[1:])
        hours = _parse_hours(rest[0], rest[1] if len(rest) > 1 else None) if rest else {}
        if len(rest) > 2:
            raise ParseError("error.hours", word=" ".join(rest))
        return CoachCommand("hours", hours={**hours, **country})
    if action == "export":
        scope = tokens[1].casefold() if len(tokens) > 1 else "mine"
        if scope not in ("mine", "team"):
            raise ParseError("error.export_scope", word=tokens[1])
        return CoachCommand("export", verb=scope)
    return CoachCommand(action)


@dataclass(frozen=True, slots=True)
class LeaderboardCommand:
    """A parsed `/leaderboard` line."""

    action: str  # show|subscribe|unsubscribe|subscriptions
    window: str = "week"  # today|week|month
    frequency: str = "weekly"  # daily|weekly
    season: str = "week"  # week|month
    #: The language of the channel's posts; None: the team's language.
    language: str | None = None


_WINDOWS = {"": "week", "today": "today", "vandaag": "today", "week": "week", "month": "month", "maand": "month"}
#: What a manager may type for a channel's language at subscribe; "team" returns to the team's language.
_POST_LANGUAGES = {
    "en": "en",
    "english": "en",
    "engels": "en",
    "nl": "nl",
    "dutch": "nl",
    "nederlands": "nl",
    "team": None,
}


def parse_leaderboard(text: str | None) -> LeaderboardCommand:
    """Parse `/leaderboard [today|week|month]`, `subscribe [daily|weekly] [week|month] [en|nl]`, `unsubscribe`.

    Also `subscriptions`, the list of channels with posts.
    """
    tokens = [word.casefold() for word in clean_text(text).split()]
    first = tokens[0] if tokens else ""
    if first in ("subscribe", "aanmelden"):
        frequency, season, language = "weekly", "week", None
        for word in tokens[1:]:
            if word in ("daily", "dagelijks"):
                frequency = "daily"
            elif word in ("weekly", "wekelijks"):
                frequency = "weekly"
            elif word in ("month", "monthly", "maand", "maandelijks"):
                season = "month"
            elif word in ("week",):
                season = "week"
            elif word in _POST_LANGUAGES:
                language = _POST_LANGUAGES[word]
            elif len(word) in (2, 3) and word.isalpha():
                # Reads as a language code (fr, de, es, ...): say which languages the posts can be in.
                raise ParseError("error.leaderboard_language", word=word)
            else:
                raise ParseError("error.leaderboard", word=word)
        return LeaderboardCommand("subscribe", frequency=frequency, season=season, language=language)
    if first in ("unsubscribe", "afmelden"):
        return LeaderboardCommand("unsubscribe")
    if first in ("subscriptions", "abonnementen") and len(tokens) == 1:
        return LeaderboardCommand("subscriptions")
    if first in _WINDOWS and len(tokens) <= 1:
        return LeaderboardCommand("show", window=_WINDOWS[first])
    raise ParseError("error.leaderboard", word=first)


def parse_date(word: str, today: dt.date) -> dt.date | None:
    """`2026-12-04`, `4-12-2026`, `4/12` or `4-12` (day first, as in the Netherlands); None if not a date.

    A date without a year is the next one on or after today.
    """
    try:
        return dt.date.fromisoformat(word)
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{4}))?", word)
    if not match:
        return None
    day, month = int(match[1]), int(match[2])
    year = int(match[3]) if match[3] else today.year
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    if not match[3] and date < today:
        try:
            date = date.replace(year=year + 1)
        except ValueError:
            return None
    return date


_COUNTRY_WORDS = ("country", "land")


def _country_option(tokens: list[str]) -> tuple[list[str], dict[str, object]]:
    """`... country DE-BY` (`land` in Dutch): the other words, and the holiday country they name, checked."""
    for i, word in enumerate(tokens):
        if word.casefold() in _COUNTRY_WORDS:
            if i + 1 >= len(tokens):
                raise ParseError("error.country", word="")
            try:
                calendar = HolidayCalendar.parse(tokens[i + 1])
            except ValueError:
                raise ParseError("error.country", word=tokens[i + 1]) from None
            return tokens[:i] + tokens[i + 2 :], {"country": calendar.code}
    return tokens, {}


def _parse_hours(span: str, days: str | None) -> dict[str, object]:
    """`08:30-17:00` and optional days `mon-thu`, `ma-do` or `mon,wed,fri` as stored working hours."""
    match = _HOURS.fullmatch(span)
    if not match:
        raise ParseError("error.hours", word=span)
    start_h, start_m, end_h, end_m = int(match[1]), int(match[2] or 0), int(match[3]), int(match[4] or 0)
    if not (start_h < 24 and end_h < 24 and start_m < 60 and end_m < 60) or (start_h, start_m) >= (end_h, end_m):
        raise ParseError("error.hours", word=span)
    chosen: set[int] = set(range(5))
    if days:
        chosen = set()
        for part in days.casefold().split(","):
            ends = part.split("-")
            if not all(end in _DAY_NAMES for end in ends) or len(ends) > 2:
                raise ParseError("error.hours_days", word=days)
            first, last = _DAY_NAMES[ends[0]], _DAY_NAMES[ends[-1]]
            if last < first:
                raise ParseError("error.hours_days", word=days)
            chosen.update(range(first, last + 1))
    return {"start": f"{start_h:02d}:{start_m:02d}", "end": f"{end_h:02d}:{end_m:02d}", "days": sorted(chosen)}
