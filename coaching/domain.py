"""The sales vocabulary: call outcomes, kinds of work, and the plain records the rules read.

This is the one place where outcomes and work types are defined. Everything a rep can type (English and Dutch,
hyphenated or as two words) maps onto these values; everything the bot stores uses the canonical English value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """How a call ended. The value is what is stored; `ALIASES` lists what a rep may type."""

    NO_ANSWER = "no-answer"
    VOICEMAIL = "voicemail"
    BUSY = "busy"
    GATEKEEPER = "gatekeeper"
    WRONG_PERSON = "wrong-person"
    CONNECTED = "connected"
    MEETING = "meeting"
    NOT_INTERESTED = "not-interested"
    CALLBACK = "callback"

    @property
    def reached(self) -> bool:
        """Whether the call reached someone at the lead who could talk (ends a follow-up cadence)."""
        return self not in UNREACHED

    @property
    def conversation(self) -> bool:
        """Whether the dial became a conversation, the numerator of the connect rate (Gong/30MPC's definition)."""
        return self in CONVERSATIONS


#: Outcomes after which the lead still has to be reached: these schedule the next attempt.
UNREACHED = frozenset({Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.BUSY, Outcome.GATEKEEPER})

#: Outcomes that count as a conversation with a person at the lead.
CONVERSATIONS = frozenset(
    {Outcome.CONNECTED, Outcome.MEETING, Outcome.NOT_INTERESTED, Outcome.CALLBACK, Outcome.WRONG_PERSON}
)

#: The Dutch word for each outcome, as the bot shows it to Dutch reps.
OUTCOME_DUTCH: dict[Outcome, str] = {
    Outcome.NO_ANSWER: "geen-gehoor",
    Outcome.VOICEMAIL: "ingesproken",
    Outcome.BUSY: "bezet",
    Outcome.GATEKEEPER: "receptie",
    Outcome.WRONG_PERSON: "verkeerde-persoon",
    Outcome.CONNECTED: "bereikt",
    Outcome.MEETING: "afspraak",
    Outcome.NOT_INTERESTED: "geen-interesse",
    Outcome.CALLBACK: "terugbellen",
}

#: What a rep may type for each outcome, besides the canonical value. Two-word forms are written with a hyphen;
#: the parser accepts the hyphen, an underscore or a space between the words.
OUTCOME_ALIASES: dict[Outcome, tuple[str, ...]] = {
    Outcome.NO_ANSWER: ("no-answer", "geen-gehoor"),
    Outcome.VOICEMAIL: ("voicemail", "voice-mail", "ingesproken"),
    Outcome.BUSY: ("busy", "bezet"),
    Outcome.GATEKEEPER: ("gatekeeper", "receptie"),
    Outcome.WRONG_PERSON: ("wrong-person", "verkeerde-persoon"),
    Outcome.CONNECTED: ("connected", "bereikt"),
    Outcome.MEETING: ("meeting", "afspraak"),
    Outcome.NOT_INTERESTED: ("not-interested", "geen-interesse"),
    Outcome.CALLBACK: ("callback", "call-back", "terugbellen", "terug-bellen"),
}


class WorkType(StrEnum):
    """Work that is not a call, logged with `/log` or blocked with `/focus`."""

    CALLS = "calls"
    EMAIL = "email"
    RESEARCH = "research"
    ADMIN = "admin"
    MEETING = "meeting"
    PREP = "prep"


#: The Dutch word for each kind of work.
WORK_DUTCH: dict[WorkType, str] = {
    WorkType.CALLS: "bellen",
    WorkType.EMAIL: "e-mail",
    WorkType.RESEARCH: "onderzoek",
    WorkType.ADMIN: "administratie",
    WorkType.MEETING: "afspraak",
    WorkType.PREP: "voorbereiding",
}

#: What a rep may type for each kind of work. CALLS is only a focus-block kind: calls are logged with /call.
WORK_ALIASES: dict[WorkType, tuple[str, ...]] = {
    WorkType.CALLS: ("calls", "calling", "bellen"),
    WorkType.EMAIL: ("email", "e-mail", "mail"),
    WorkType.RESEARCH: ("research", "onderzoek"),
    WorkType.ADMIN: ("admin", "administratie"),
    WorkType.MEETING: ("meeting", "afspraak"),
    WorkType.PREP: ("prep", "voorbereiding"),
}

#: The kinds of work `/log` accepts.
LOGGABLE_WORK = (WorkType.EMAIL, WorkType.RESEARCH, WorkType.ADMIN, WorkType.MEETING, WorkType.PREP)


class StopReason(StrEnum):
    """Why a rep stopped following up a lead (the Stop menu on a follow-up).

    A lead stopped for any of these wasn't dropped early: the rules judge persistence only on leads left without one.
    """

    NOT_A_FIT = "not-a-fit"
    BOUGHT_ELSEWHERE = "bought-elsewhere"
    WRONG_NUMBER = "wrong-number"
    DO_NOT_CALL = "do-not-call"
    OTHER = "other"


class ActivityKind(StrEnum):
    """The four kinds of activity record."""

    CALL = "call"
    WORK = "work"
    BREAK = "break"
    FOCUS = "focus"


@dataclass(frozen=True, slots=True)
class Activity:
    """One thing a rep did, as the rules see it. Times are timezone-aware UTC.

    A call is an instant (`started_at == ended_at`); logged work runs from `started_at` to `ended_at`;
    a break runs from when it was started for the minutes given; a focus block is the time the rep reserved.
    """

    id: int
    kind: ActivityKind
    started_at: dt.datetime
    ended_at: dt.datetime
    outcome: Outcome | None = None
    work: WorkType | None = None
    lead_key: str | None = None
    researched: bool = False
    decision_maker: bool = False
    first_attempt: bool = False
    #: Which attempt on its lead a call was (1 for the first call); None for other activities and older calls.
    attempt: int | None = None
    automatic: bool = False  # logged for the rep from their CRM (HubSpot), not by hand

    @property
    def minutes(self) -> float:
        """Length in minutes (0 for a call)."""
        return (self.ended_at - self.started_at).total_seconds() / 60


@dataclass(frozen=True, slots=True)
class LeadSummary:
    """Where one lead stands in its follow-up: what the persistence rules read."""

    key: str
    name: str
    attempts: int
    reached: bool
    pending: bool
    first_attempt_at: dt.datetime | None = None
    last_attempt_at: dt.datetime | None = None
    stop_reason: StopReason | None = None  # why the rep stopped it, if they said
