"""The rep's own figures, computed once and read by the rules, the scorecard, the chart, the digest and the board.

Every function takes activities already in `ACTIVITY_ORDER` where order matters, makes a single pass, and returns
None rather than dividing by zero, so a day with no dials is a day without a connect rate, not an error.

**One definition per figure.** Each figure a rep or manager reads is defined here once, and every surface shows
this one: where a figure is counted in SQL instead (the chart and the board never load a team's calls into Python),
the SQL counts the same parts and hands them to the function here for the last step, and
tests/test_figures.py computes each figure through every surface for the same calls and holds them equal.

- *Connect rate* (`connect_rate`): conversations per dial (Gong/30MPC's definition); conversations are the
  outcomes in `CONVERSATIONS`.
- *Research share* (`research_share`): the share of first calls to new leads (attempt 1) made after research.
- *Attempts per lead* (`LeadAttempts`): over the leads the rep called in a period and didn't reach with any of
  those calls, the mean of each lead's attempts so far (the highest attempt number among those calls; the number
  of the calls when no attempt number was kept). It is what the widely cited 1.3 and the target of 6 measure:
  how many tries the leads still to be reached have had. Leads reached are out: they need no more tries.
- *Quality score*: `coaching.quality.score`, the leaderboard's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coaching.domain import CONVERSATIONS, Activity, ActivityKind, LeadSummary, Outcome, WorkType

_DAY = dt.timedelta(days=1)
#: Admin logs this close together are one piece of admin: logs are typed by hand and minutes are rounded.
ADMIN_JOIN = dt.timedelta(minutes=5)
_MISSES = frozenset({Outcome.GATEKEEPER, Outcome.WRONG_PERSON})


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def connect_rate(conversations: float, dials: float) -> float | None:
    """Conversations per dial (Gong/30MPC's definition); None without dials."""
    return _share(conversations, dials)


def research_share(researched_first_calls: float, first_calls: float) -> float | None:
    """The share of first calls to new leads made after research; None without first calls."""
    return _share(researched_first_calls, first_calls)


@dataclass(frozen=True, slots=True)
class LeadAttempts:
    """Attempts per lead (see the module docstring): the leads not reached and their attempts so far, summed.

    Kept as a sum and a count so that periods and reps add up exactly (`+`) before the one division.
    """

    leads: int = 0
    attempts: int = 0

    @property
    def per_lead(self) -> float | None:
        """Mean attempts per lead not reached; None when there is no such lead."""
        return _share(self.attempts, self.leads)

    def __add__(self, other: LeadAttempts) -> LeadAttempts:
        return LeadAttempts(self.leads + other.leads, self.attempts + other.attempts)


def lead_attempts(activities: Iterable[Activity]) -> LeadAttempts:
    """Attempts per lead over the calls among `activities` (one rep's, one period's)."""
    reached: set[str] = set()
    highest: dict[str, int | None] = {}
    calls: dict[str, int] = {}
    for call in activities:
        lead = call.lead_key
        if call.kind is not ActivityKind.CALL or lead is None:
            continue
        calls[lead] = calls.get(lead, 0) + 1
        if call.attempt is not None:
            known = highest.get(lead)
            highest[lead] = call.attempt if known is None else max(known, call.attempt)
        else:
            highest.setdefault(lead, None)
        if call.outcome is not None and call.outcome.reached:
            reached.add(lead)
    open_leads = [lead for lead in calls if lead not in reached]
    return LeadAttempts(len(open_leads), sum(highest[lead] or calls[lead] for lead in open_leads))


@dataclass(frozen=True, slots=True)
class CallStats:
    """What the calls of a period add up to (misconception 1)."""

    dials: int
    conversations: int
    first_calls: int
    researched_first_calls: int
    #: Calls that got past the switchboard or stopped at it: conversations plus gatekeeper calls.
    contacts: int
    #: Contacts that ended at the gatekeeper or with the wrong person (and weren't marked decision maker).
    missed_decision_maker: int

    @property
    def connect_rate(self) -> float | None:
        """Conversations per dial (`connect_rate`)."""
        return connect_rate(self.conversations, self.dials)

    @property
    def research_share(self) -> float | None:
        """Share of first calls to new leads made after research (`research_share`)."""
        return research_share(self.researched_first_calls, self.first_calls)

    @property
    def unresearched_share(self) -> float | None:
        """Share of first calls to new leads made without research."""
        return _share(self.unresearched_first_calls, self.first_calls)

    @property
    def unresearched_first_calls(self) -> int:
        """First calls made without research."""
        return self.first_calls - self.researched_first_calls

    @property
    def missed_share(self) -> float | None:
        """Share of contacts that didn't reach someone who decides."""
        return _share(self.missed_decision_maker, self.contacts)


def call_stats(activities: Iterable[Activity]) -> CallStats:
    """Add up the calls among `activities` in one pass."""
    dials = conversations = first = researched = contacts = missed = 0
    for call in activities:
        if call.kind is not ActivityKind.CALL:
            continue
        dials += 1
        outcome = call.outcome
        talked = outcome in CONVERSATIONS
        conversations += talked
        if call.first_attempt:
            first += 1
            researched += call.researched
        if talked or outcome is Outcome.GATEKEEPER:
            contacts += 1
            missed += outcome in _MISSES and not call.decision_maker
    return CallStats(dials, conversations, first, researched, contacts, missed)


def admin_minutes(activities: Iterable[Activity]) -> float:
    """Minutes of logged admin."""
    return sum(max(a.minutes, 0.0) for a in activities if a.kind is ActivityKind.WORK and a.work is WorkType.ADMIN)


def admin_pieces(ordered: Iterable[Activity]) -> int:
    """Separate pieces of admin: logs that touch or overlap (within `ADMIN_JOIN`) count as one piece."""
    pieces = 0
    piece_end: dt.datetime | None = None
    for activity in ordered:
        if activity.kind is not ActivityKind.WORK or activity.work is not WorkType.ADMIN:
            continue
        end = max(activity.ended_at, activity.started_at)
        if piece_end is None or activity.started_at > piece_end + ADMIN_JOIN:
            pieces += 1
            piece_end = end
        elif end > piece_end:
            piece_end = end
    return pieces


def working_minutes(ordered: Iterable[Activity], start: dt.datetime) -> float:
    """Working time: per day from `start`, first activity start to last activity end, minus breaks in between.

    Calls are instants and reps log only some of their work, so the span of the day is a fairer base for a
    share of time than the sum of what was logged. `ordered` is in `ACTIVITY_ORDER`, so days arrive one by one.
    """
    total = 0.0
    boundary = start + _DAY
    first = last = None
    breaks: list[Activity] = []
    for activity in ordered:
        kind = activity.kind
        if kind is ActivityKind.FOCUS:
            continue
        began = activity.started_at
        if began >= boundary:
            total += _day_minutes(first, last, breaks)
            first = last = None
            breaks = []
            while began >= boundary:  # compare instead of dividing: days arrive in order
                boundary += _DAY
        if kind is ActivityKind.BREAK:
            breaks.append(activity)
            continue
        end = activity.ended_at if activity.ended_at > began else began
        if first is None:
            first, last = began, end
        elif end > last:  # type: ignore[operator]
            last = end
    return total + _day_minutes(first, last, breaks)


def _day_minutes(first: dt.datetime | None, last: dt.datetime | None, breaks: Iterable[Activity]) -> float:
    if first is None or last is None:
        return 0.0
    rested = 0.0
    for pause in breaks:
        overlap = (min(pause.ended_at, last) - max(pause.started_at, first)).total_seconds()
        if overlap > 0:
            rested += overlap / 60
    return max((last - first).total_seconds() / 60 - rested, 0.0)


def kind_of_work(activity: Activity) -> WorkType | None:
    """The kind of work an activity is, for switching: calls are CALLS; breaks and focus blocks are no kind."""
    if activity.kind is ActivityKind.CALL:
        return WorkType.CALLS
    if activity.kind is ActivityKind.WORK:
        return activity.work
    return None


def max_switches(ordered: Iterable[Activity], window_minutes: float) -> int:
    """The most switches between kinds of work that fall inside any window of `window_minutes`.

    A switch happens at the start of an activity whose kind differs from the previous activity's kind.
    """
    times: list[dt.datetime] = []
    previous: WorkType | None = None
    for activity in ordered:
        kind = kind_of_work(activity)
        if kind is None:
            continue
        if previous is not None and kind is not previous:
            times.append(activity.started_at)
        previous = kind
    return most_in_window(times, window_minutes)


def most_in_window(times: Sequence[dt.datetime], window_minutes: float) -> int:
    """The most of the ordered `times` that fall inside any window of `window_minutes`."""
    window = dt.timedelta(minutes=window_minutes)
    most = first = 0
    for last, at in enumerate(times):
        # Two pointers: the window is (at - window, at], so times a full window apart don't share one.
        while at - times[first] >= window:
            first += 1
        if last - first + 1 > most:
            most = last - first + 1
    return most


def span_minutes(doing: Iterable[Activity], breaks: Iterable[Activity]) -> float:
    """One day's working time: first start to last end of `doing` (calls and work), less the breaks inside."""
    first = last = None
    for activity in doing:
        end = activity.ended_at if activity.ended_at > activity.started_at else activity.started_at
        if first is None or activity.started_at < first:
            first = activity.started_at
        if last is None or end > last:
            last = end
    return _day_minutes(first, last, breaks)


def breaks_taken(activities: Iterable[Activity]) -> int:
    """How many breaks were logged."""
    return sum(1 for a in activities if a.kind is ActivityKind.BREAK)


def closed_unreached(
    leads: Iterable[LeadSummary], since: dt.datetime, until: dt.datetime | None = None, *, undated: bool = False
) -> list[LeadSummary]:
    """Leads the rep stopped following up without ever reaching them, last attempted in [since, until).

    A lead stopped with a reason (not a fit, bought elsewhere, ...) was closed on purpose, not given up: left out.
    `undated` includes leads without a last attempt time (for the rules, which would rather flag than miss).
    Sorted by name, then key, so findings list them the same way every time.
    """
    found = []
    for lead in leads:
        if lead.reached or lead.pending or lead.attempts < 1 or lead.stop_reason is not None:
            continue
        last = lead.last_attempt_at
        if last is None:
            if not undated:
                continue
        elif last < since or (until is not None and last >= until):
            continue
        found.append(lead)
    found.sort(key=lambda lead: (lead.name, lead.key))
    return found


def average_attempts(leads: Sequence[LeadSummary]) -> float | None:
    """Mean attempts over `leads`, None when there are none."""
    return _share(sum(lead.attempts for lead in leads), len(leads))
