"""Attempts per lead for channel posts, folded ahead of time by the clock, so a post never groups a month of calls.

`coaching.metrics.lead_attempts` defines the figure; `bot.storage.standings.lead_attempts` counts it from the
activities, which takes a second for a month at 1,000,000 activities (README, the leaderboard): the figure is exact
only by combining every lead called in the window, and a month holds some 400,000 (rep, lead) pairs.

A post's windows start where a season starts (the team's local Monday or 1st of the month): the season so far, and
the same stretch of the season before. So for each season in use the clock keeps every call's *step*: the change
the call makes to its lead's share of the rep's figure for the season so far (the share is 0 once the lead is
reached, else one lead with its attempts so far). A lead's shares add up over its steps, so a rep's figure for
[season start, T) is the sum of their steps before T: whole UTC days are read summed (`persistence_days`), the rest
of T's day from the steps. The result is the same as counting the activities, not an estimate
(tests/test_persistence.py holds it to the definition).

The fold runs on the clock (`fold`), never on `/call`: it takes in the calls that started since its last horizon,
a minute behind the clock so a call stamped before a commit is not passed over (and each fold reads the minute
before its horizon again). A call that starts now always lies after every horizon, so `/call` needs no hook. Calls
written, corrected or removed behind the horizon (the HubSpot pull) leave a row in `persistence_changes`
(`changed`): until the next fold has folded their lead again, a window holding one is counted from the activities.
So is any window the fold does not cover (no season kept, a team time zone changed, a clock stopped for long).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from bot.storage.database import Database
from bot.storage.models import (
    Activity,
    PersistenceChange,
    PersistenceDay,
    PersistencePeriod,
    PersistenceStep,
    Subscription,
    Team,
)
from bot.storage.standings import lead_attempts
from coaching.domain import ActivityKind, Outcome
from coaching.hours import local_datetime, zone
from coaching.metrics import LeadAttempts

#: How far behind the clock the fold's horizon stays, so a call stamped just before its commit is not passed over.
LAG = dt.timedelta(minutes=1)
#: The most calls one pass folds into a season: a season folded from nothing (a deploy, a new subscription) is caught
#: up over several passes, so no pass holds SQLite's write lock for long.
PASS_CALLS = 20_000
#: Calls past the horizon that a query counts itself on top of the folded steps; more (a stopped clock): the scan.
TAIL_CALLS = 5_000
_REACHED = frozenset(outcome.value for outcome in Outcome if outcome.reached)
_CHUNK = 500  # leads per IN list
_DAY = dt.timedelta(days=1)

Step = tuple[dt.datetime, int, int]  # when, change of leads, change of attempts


def season_bounds(season: str, moment: dt.datetime, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The season (`week` from Monday, `month` from the 1st, local midnight in `tz`) holding `moment`, [start, end)."""
    local = moment.astimezone(tz).date()
    if season == "week":
        first = local - dt.timedelta(days=local.weekday())
        following = first + dt.timedelta(days=7)
    else:
        first = local.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
    return local_datetime(first, dt.time(0), tz), local_datetime(following, dt.time(0), tz)


def steps(calls: Iterable[tuple[dt.datetime, int | None, str | None]]) -> list[Step]:
    """One rep's calls on one lead in a season, in time order: the steps of the lead's share of their figure.

    The share after a call is `coaching.metrics.lead_attempts` of the calls so far: nothing once one reached the
    lead, else one lead with its highest attempt number (or the number of calls). Steps that change nothing are left
    out.
    """
    calls_so_far, highest, reached = 0, None, False
    leads, attempts = 0, 0
    found: list[Step] = []
    for at, attempt, outcome in calls:
        calls_so_far += 1
        if attempt is not None:
            highest = attempt if highest is None else max(highest, attempt)
        reached = reached or outcome in _REACHED
        now_leads, now_attempts = (0, 0) if reached else (1, highest or calls_so_far)
        if (now_leads, now_attempts) != (leads, attempts):
            found.append((at, now_leads - leads, now_attempts - attempts))
            leads, attempts = now_leads, now_attempts
    return found


# -- reading ------------------------------------------------------------------------------------------------------


def figures(session: Session, team_id: str, start: dt.datetime, end: dt.datetime) -> dict[str, LeadAttempts]:
    """Per rep: attempts per lead over their calls in [start, end), as `standings.lead_attempts` counts them.

    From the folded steps when a kept season starts at `start` and holds `end`, else from the activities.
    """
    period = session.scalars(
        select(PersistencePeriod)
        .where(PersistencePeriod.team_id == team_id, PersistencePeriod.start == start, PersistencePeriod.end >= end)
        .order_by(PersistencePeriod.horizon.desc())
        .limit(1)
    ).first()
    if period is None or _changed_in(session, team_id, start, end):
        return lead_attempts(session, team_id, start, end)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    cut = min(end, period.horizon)
    _add(totals, _before(session, period.id, cut))
    if end > period.horizon:
        tail = _tail(session, period, end)
        if tail is None:
            return lead_attempts(session, team_id, start, end)
        _add(totals, tail)
    return {user: LeadAttempts(leads, attempts) for user, (leads, attempts) in sorted(totals.items()) if leads}


def _changed_in(session: Session, team_id: str, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether a call in [start, end) changed behind the fold and its lead is yet to be folded again."""
    found = session.scalar(
        select(PersistenceChange.id)
        .where(PersistenceChange.team_id == team_id, PersistenceChange.at >= start, PersistenceChange.at < end)
        .limit(1)
    )
    return found is not None


def _add(totals: dict[str, list[int]], rows: Iterable[tuple[str, int, int]]) -> None:
    for user, leads, attempts in rows:
        total = totals[user]
        total[0] += int(leads)
        total[1] += int(attempts)


def _before(session: Session, period_id: int, cut: dt.datetime) -> list[tuple[str, int, int]]:
    """Each rep's steps before `cut`: whole days summed, and the steps of `cut`'s own day, from its nearer end."""
    midnight = cut.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day = PersistenceDay
    step = PersistenceStep
    if cut - midnight <= _DAY / 2:
        whole = day.day < midnight.date()
        partial = select(step.user_id, func.sum(step.leads), func.sum(step.attempts)).where(
            step.period_id == period_id, step.at >= midnight, step.at < cut
        )
        sign = 1
    else:  # the day up to `cut` is its whole, less the steps from `cut` to its end
        whole = day.day <= midnight.date()
        partial = select(step.user_id, func.sum(step.leads), func.sum(step.attempts)).where(
            step.period_id == period_id, step.at >= cut, step.at < midnight + _DAY
        )
        sign = -1
    rows = [
        (user, leads, attempts)
        for user, leads, attempts in session.execute(
            select(day.user_id, func.sum(day.leads), func.sum(day.attempts))
            .where(day.period_id == period_id, whole)
            .group_by(day.user_id)
        )
    ]
    rows += [
        (user, sign * int(leads), sign * int(attempts))
        for user, leads, attempts in session.execute(partial.group_by(step.user_id))
    ]
    return rows


def _tail(session: Session, period: PersistencePeriod, end: dt.datetime) -> list[tuple[str, int, int]] | None:
    """The change the calls in [horizon, end) make: their leads' shares counted anew, less their folded steps.

    None when there are more than `TAIL_CALLS` such calls (the activities are counted instead).
    """
    called = session.scalars(
        select(Activity.lead_id).where(*_calls(period.team_id, period.horizon, end)).limit(TAIL_CALLS + 1)
    ).all()
    if len(called) > TAIL_CALLS:  # counted per call, not per lead: every call past the horizon must be seen
        return None
    leads = set(called)
    rows: list[tuple[str, int, int]] = []
    for chunk in _chunks(sorted(leads)):
        folded = session.execute(
            select(PersistenceStep.user_id, func.sum(PersistenceStep.leads), func.sum(PersistenceStep.attempts))
            .where(PersistenceStep.period_id == period.id, PersistenceStep.lead_id.in_(chunk))
            .group_by(PersistenceStep.user_id)
        )
        rows += [(user, -int(n), -int(total)) for user, n, total in folded]
        for (user, _lead), found in _lead_steps(session, period.team_id, chunk, period.start, end).items():
            rows.append((user, sum(s[1] for s in found), sum(s[2] for s in found)))
    return rows


def _calls(team_id: str, start: dt.datetime, end: dt.datetime) -> tuple[Any, ...]:
    return (
        Activity.team_id == team_id,
        Activity.kind == ActivityKind.CALL.value,
        Activity.lead_id.is_not(None),
        Activity.started_at >= start,
        Activity.started_at < end,
    )


def _chunks(items: Sequence[int]) -> Iterator[list[int]]:
    it = iter(items)
    while chunk := list(islice(it, _CHUNK)):
        yield chunk


def _lead_steps(
    session: Session, team_id: str, lead_ids: Sequence[int] | None, start: dt.datetime, end: dt.datetime
) -> dict[tuple[str, int], list[Step]]:
    """The steps of every (rep, lead) among `lead_ids` (None: every lead) for their calls in [start, end)."""
    columns = (Activity.user_id, Activity.lead_id, Activity.started_at, Activity.attempt, Activity.outcome)
    if lead_ids is None:
        rows = session.execute(select(*columns).where(*_calls(team_id, start, end)).order_by(Activity.started_at))
    else:
        # By the leads' index alone, the rest checked here: given a window too, SQLite (no statistics) would rather
        # read the window's calls through ix_activities_team_time, a month of them for a handful of leads.
        every = session.execute(
            select(*columns, Activity.team_id, Activity.kind).where(Activity.lead_id.in_(lead_ids))
        ).all()
        call = ActivityKind.CALL.value
        rows = sorted(
            (row[:5] for row in every if row.team_id == team_id and row.kind == call and start <= row.started_at < end),
            key=lambda row: row[2],
        )
    calls: dict[tuple[str, int], list[tuple[dt.datetime, int | None, str | None]]] = defaultdict(list)
    for user, lead, at, attempt, outcome in rows:
        calls[(user, lead)].append((at, attempt, outcome))
    return {key: steps(found) for key, found in calls.items()}


# -- writing ------------------------------------------------------------------------------------------------------


def changed(session: Session, team_id: str, lead_id: int | None, at: dt.datetime) -> None:
    """A call on `lead_id` at `at` was written, corrected or removed other than by `/call` (HubSpot): fold it again.

    Written in the transaction of the change, so no window is read from steps that miss it.
    """
    if lead_id is not None:
        session.execute(insert(PersistenceChange).values(team_id=team_id, lead_id=lead_id, at=at))


@dataclass
class _Fold:
    """One season's fold, worked out in a read and written after: what it found and from which horizon."""

    team_id: str
    season: str
    start: dt.datetime
    end: dt.datetime
    since: dt.datetime | None  # the horizon it folded from; None: a season not kept yet
    horizon: dt.datetime
    leads: list[int] | None  # the leads folded again; None: every lead (the season from nothing)
    found: dict[tuple[str, int], list[Step]]
    target: dt.datetime  # where the clock would have the horizon; later than `horizon` while catching up

    @property
    def idle(self) -> bool:
        """Nothing to write: no call since the horizon and no change."""
        return self.since is not None and self.since == self.horizon and not self.leads


@dataclass(frozen=True)
class Folded:
    """What one pass of the fold did: (rep, lead) pairs folded, and seasons still catching up (`PASS_CALLS`)."""

    pairs: int = 0
    behind: int = 0


def fold(db: Database, now: dt.datetime) -> Folded:
    """Bring every kept season up to `now` less `LAG` (at most `PASS_CALLS` calls a season a pass).

    Kept: the current and the previous season of each kind a workspace's active subscriptions post, in the team's
    time zone. Seasons no longer kept are dropped, and so are changes of workspaces without a kept season. The calls
    are read and their steps worked out in a read, without the write lock `/call` needs; the write that follows
    only replaces rows, and skips a season another clock folded meanwhile.
    """
    with db.read() as session:
        folds, changes, kept_teams = _work_out(session, now)
    if all(work.idle for work in folds) and not changes and not _stale(db, folds, kept_teams):
        return Folded()
    skipped = False
    with db.transaction() as session:
        kept: set[int] = set()
        for work in folds:
            period = _period(session, work)
            kept.add(period.id)
            if work.idle:
                continue
            if period.horizon != (work.since or work.start):  # another clock folded it meanwhile
                skipped = True
                continue
            _write(session, period, work.found, leads=work.leads)
            period.horizon = work.horizon
        if any(work.leads is None and not work.idle for work in folds) and db.dialect == "postgresql":
            # A season written from nothing: without statistics on the new rows the planner read the steps table
            # whole for each later pass's delete of 500 leads (0.6 s each, seen at 1,000,000 activities), and
            # autovacuum's own ANALYZE comes a minute later at best. It takes no lock that /call or a post waits on.
            session.execute(text("ANALYZE persistence_steps, persistence_days"))
        if changes and not skipped:
            # Only those read (one written since stays for the next fold), and only when every season took them in.
            session.execute(delete(PersistenceChange).where(PersistenceChange.id.in_(changes)))
        _drop(session, kept, kept_teams)
    pairs = sum(len(work.found) for work in folds)
    return Folded(pairs, sum(1 for work in folds if work.horizon < work.target or skipped))


def _work_out(session: Session, now: dt.datetime) -> tuple[list[_Fold], list[int], list[str]]:
    """The folds due at `now`, the changes they take in, and the workspaces with kept seasons."""
    teams = session.execute(
        select(Team.id, Team.settings, Subscription.season)
        .join(Subscription, Subscription.team_id == Team.id)
        .where(Subscription.active.is_(True), Team.uninstalled_at.is_(None))
    ).all()
    seasons: dict[str, set[str]] = defaultdict(set)
    zones: dict[str, ZoneInfo] = {}
    for team_id, settings, season in teams:
        seasons[team_id].add(season)
        zones[team_id] = zone(str((settings or {}).get("tz") or "Europe/Amsterdam"))
    folds: list[_Fold] = []
    change_ids: list[int] = []
    for team_id in sorted(seasons):
        # Changes are read before the calls: one written meanwhile stays for the next fold.
        changes = session.execute(
            select(PersistenceChange.id, PersistenceChange.lead_id, PersistenceChange.at).where(
                PersistenceChange.team_id == team_id
            )
        ).all()
        change_ids += [change.id for change in changes]
        for season in sorted(seasons[team_id]):
            current = season_bounds(season, now, zones[team_id])
            previous = season_bounds(season, current[0] - dt.timedelta(microseconds=1), zones[team_id])
            for start, end in (previous, current):
                touched = {lead for _, lead, at in changes if start <= at < end}
                folds.append(_work_out_season(session, team_id, season, start, end, min(now - LAG, end), touched))
    return folds, change_ids, sorted(seasons)


def _work_out_season(
    session: Session,
    team_id: str,
    season: str,
    start: dt.datetime,
    end: dt.datetime,
    target: dt.datetime,
    touched: set[int],
) -> _Fold:
    since = session.scalar(
        select(PersistencePeriod.horizon).where(
            PersistencePeriod.team_id == team_id, PersistencePeriod.season == season, PersistencePeriod.start == start
        )
    )
    if since is None:  # a season not kept yet: every lead of it so far
        horizon = _bounded(session, team_id, start, max(target, start))
        found = _lead_steps(session, team_id, None, start, horizon)
        return _Fold(team_id, season, start, end, None, horizon, None, found, target)
    horizon = _bounded(session, team_id, since, max(target, since))
    if horizon == since and not touched:
        return _Fold(team_id, season, start, end, since, since, [], {}, target)
    # The minute before the old horizon again: a call stamped before it may have committed after that fold read.
    again = max(start, since - LAG)
    since_then = select(Activity.lead_id).where(*_calls(team_id, again, horizon)).distinct()
    touched = touched | set(session.scalars(since_then))
    found: dict[tuple[str, int], list[Step]] = {}
    for chunk in _chunks(sorted(touched)):
        found.update(_lead_steps(session, team_id, chunk, start, horizon))
    return _Fold(team_id, season, start, end, since, horizon, sorted(touched), found, target)


def _bounded(session: Session, team_id: str, since: dt.datetime, horizon: dt.datetime) -> dt.datetime:
    """`horizon`, or earlier: where [since, horizon) would hold more than `PASS_CALLS` calls, the start of the next."""
    beyond = session.scalar(
        select(Activity.started_at)
        .where(*_calls(team_id, since, horizon))
        .order_by(Activity.started_at)
        .offset(PASS_CALLS)
        .limit(1)
    )
    # Calls at the same instant all fall on one side of a horizon; one at `since` itself can't stop the pass.
    return beyond if beyond is not None and beyond > since else horizon


def _stale(db: Database, folds: list[_Fold], kept_teams: list[str]) -> bool:
    """Whether a season or change no longer kept waits to be dropped (else the fold writes nothing at all)."""
    with db.read() as session:
        ids = session.execute(
            select(PersistencePeriod.team_id, PersistencePeriod.season, PersistencePeriod.start)
        ).all()
        stray = session.scalar(
            select(PersistenceChange.id).where(PersistenceChange.team_id.not_in(kept_teams)).limit(1)
        )
    wanted = {(work.team_id, work.season, work.start) for work in folds}
    return stray is not None or any((row.team_id, row.season, row.start) not in wanted for row in ids)


def _drop(session: Session, kept: set[int], kept_teams: list[str]) -> None:
    dropped = session.scalars(select(PersistencePeriod.id).where(PersistencePeriod.id.not_in(sorted(kept)))).all()
    if dropped:
        session.execute(delete(PersistencePeriod).where(PersistencePeriod.id.in_(dropped)))
    session.execute(delete(PersistenceChange).where(PersistenceChange.team_id.not_in(kept_teams)))


def _period(session: Session, work: _Fold) -> PersistencePeriod:
    # Locked: a second clock folding the same season waits, then finds the horizon moved and writes nothing twice.
    period = session.scalars(
        select(PersistencePeriod)
        .where(
            PersistencePeriod.team_id == work.team_id,
            PersistencePeriod.season == work.season,
            PersistencePeriod.start == work.start,
        )
        .with_for_update()
    ).first()
    if period is None:
        period = PersistencePeriod(
            team_id=work.team_id, season=work.season, start=work.start, end=work.end, horizon=work.start
        )
        session.add(period)
        session.flush()
    return period


def _write(
    session: Session,
    period: PersistencePeriod,
    found: dict[tuple[str, int], list[Step]],
    *,
    leads: Sequence[int] | None,
) -> None:
    """Replace the steps of `leads` (None: all) with `found`, and move the day sums by the difference."""
    by_day: dict[tuple[dt.date, str], list[int]] = defaultdict(lambda: [0, 0])
    replace_all = leads is None
    if leads is None:
        session.execute(delete(PersistenceStep).where(PersistenceStep.period_id == period.id))
        session.execute(delete(PersistenceDay).where(PersistenceDay.period_id == period.id))
    else:
        for chunk in _chunks(leads):
            old = PersistenceStep
            gone = session.execute(
                select(old.user_id, old.at, old.leads, old.attempts).where(
                    old.period_id == period.id, old.lead_id.in_(chunk)
                )
            )
            for user, at, n, attempts in gone:
                total = by_day[(at.astimezone(dt.UTC).date(), user)]
                total[0] -= n
                total[1] -= attempts
            session.execute(delete(old).where(old.period_id == period.id, old.lead_id.in_(chunk)))
    rows = []
    for (user, lead), found_steps in found.items():
        for at, n, attempts in found_steps:
            rows.append(
                {
                    "period_id": period.id,
                    "team_id": period.team_id,
                    "user_id": user,
                    "lead_id": lead,
                    "at": at,
                    "leads": n,
                    "attempts": attempts,
                }
            )
            total = by_day[(at.astimezone(dt.UTC).date(), user)]
            total[0] += n
            total[1] += attempts
    for start in range(0, len(rows), 10_000):
        session.execute(insert(PersistenceStep), rows[start : start + 10_000])
    _move_days(session, period, by_day, fresh=replace_all)


def _move_days(
    session: Session, period: PersistencePeriod, by_day: dict[tuple[dt.date, str], list[int]], *, fresh: bool
) -> None:
    moved = {key: value for key, value in by_day.items() if value != [0, 0]}
    if not moved:
        return
    existing: dict[tuple[dt.date, str], tuple[int, int]] = {}
    if not fresh:
        days = sorted({day for day, _ in moved})
        row = PersistenceDay
        existing = {
            (day, user): (leads, attempts)
            for day, user, leads, attempts in session.execute(
                select(row.day, row.user_id, row.leads, row.attempts).where(
                    row.period_id == period.id, row.day.in_(days)
                )
            )
        }
    new, changed_rows = [], []
    for (day, user), (n, attempts) in moved.items():
        key = {"period_id": period.id, "day": day, "user_id": user}
        if (day, user) in existing:
            was_leads, was_attempts = existing[(day, user)]
            changed_rows.append({**key, "leads": was_leads + n, "attempts": was_attempts + attempts})
        else:
            new.append({**key, "team_id": period.team_id, "leads": n, "attempts": attempts})
    for start in range(0, len(new), 10_000):
        session.execute(insert(PersistenceDay), new[start : start + 10_000])
    if changed_rows:  # one executemany by primary key
        session.execute(update(PersistenceDay), changed_rows)
