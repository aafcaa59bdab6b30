"""The engine: run every rule over one rep's day and order what they find.

`evaluate` is deterministic and total: the same activities in any order give the same findings, in the same
order, and no sequence of activities makes it raise. `pick_tip` chooses the one finding worth a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from coaching.domain import Activity, LeadSummary
from coaching.findings import Finding
from coaching.rules import RULES
from coaching.rules.base import RuleContext
from coaching.settings import CoachSettings

_DAY = dt.timedelta(days=1)


def day_window(
    now: dt.datetime, day_start: dt.datetime | None = None, day_end: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """The rep's day as UTC instants: as given, else 24 hours from the one given, else the UTC day of `now`."""
    if day_start is None and day_end is None:
        utc = now.astimezone(dt.UTC)
        day_start = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    if day_start is None:
        day_start = day_end - _DAY  # type: ignore[operator]
    if day_end is None:
        day_end = day_start + _DAY
    if day_end <= day_start:
        raise ValueError(f"day_end {day_end} is not after day_start {day_start}")
    return day_start, day_end


def evaluate(
    activities: Iterable[Activity],
    leads: Iterable[LeadSummary],
    settings: CoachSettings,
    now: dt.datetime,
    *,
    day_start: dt.datetime | None = None,
    day_end: dt.datetime | None = None,
) -> list[Finding]:
    """Every finding about the rep's day, most relevant first, without duplicates.

    Activity rules judge only activities that started in [day_start, day_end); the lead rules (M2) read `leads`.
    The order is severity (highest first), then code, then params: the relevance order `pick_tip` follows.
    """
    ctx = RuleContext.build(activities, leads, settings, now, day_window(now, day_start, day_end))
    found: set[Finding] = set()
    for rule in RULES:
        found.update(rule.check(ctx))
    return sorted(found, key=Finding.sort_key)


#: A tip about the same leads is not repeated within this many business days (the rep's working days).
SUBJECT_QUIET_DAYS = 5


def subject_of(finding: Finding) -> frozenset[str]:
    """The leads a finding is about (M201 names them), empty for a finding about the rep's day."""
    leads = finding.params.get("leads")
    return frozenset(leads) if isinstance(leads, tuple) else frozenset()


def pick_tip(
    findings: Iterable[Finding],
    already_sent: Collection[str],
    recent_subjects: Iterable[frozenset[str]] = (),
    muted: Collection[str] = (),
) -> Finding | None:
    """The most relevant finding worth a message, or None.

    Left out: a code in `already_sent` (the codes sent to this rep today: each rule at most once a day), a code the
    rep `muted`, and a finding about leads that were all in `recent_subjects` (the leads of the tips shown in the
    last `SUBJECT_QUIET_DAYS` business days): the same lead isn't raised again so soon, a new one is.
    Relevance: severity first (WARNING, "take a break now", beats ADVICE, a habit to change, which beats INFO),
    then code order, which runs from misconception 1 to 5, then params.
    """
    seen = frozenset().union(*recent_subjects)

    def worth(finding: Finding) -> bool:
        if finding.code in already_sent or finding.code in muted:
            return False
        subject = subject_of(finding)
        return not subject or not subject <= seen

    return min(filter(worth, findings), key=Finding.sort_key, default=None)
