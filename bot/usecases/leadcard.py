"""The lead card: what the team knows about a lead, before the next call (`/lead <name>`, the "Lead card" button).

Misconception 1: research before calling. The card shows the rep alone every call on the lead by anyone in the
workspace (newest first, outcome, when in the viewer's own time zone, who, flags and note), whether it was
researched and the decision maker reached, and the next attempt due. A rep who chose privacy appears as "a
teammate". When a CRM is connected, its record of the lead joins the card (`CRM_LOOKUPS`).

A name is found fuzzily (`coaching.leadnames`): "acme" finds "Acme BV". Several matches give a short list whose
buttons open the card; none says how to ask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bot.slack import blockkit
from bot.storage.models import Activity, Lead, Nudge, Rep
from bot.usecases import crm
from bot.usecases.privacy import display_name
from bot.usecases.replies import Reply, refuses_bad_input
from bot.usecases.reps import RepProfile
from coaching import parser
from coaching.domain import ActivityKind, Outcome
from coaching.findings import Count
from coaching.i18n import t
from coaching.leadnames import find_lead
from coaching.render import count

if TYPE_CHECKING:
    from bot.runtime import Runtime

#: Calls shown one by one; the ones before them are summed up in a line (Slack takes 50 blocks in a message).
SHOWN_CALLS = 15

#: Leads named when nothing matched, to show what the team's lead names look like.
RECENT_NAMES = 5

#: A CRM's record of a lead for its card: (runtime, viewer, lead) to a section in the viewer's language, or None
#: when the workspace hasn't connected that CRM or it doesn't know the lead. It runs while `/lead` is answered,
#: inside Slack's 3 seconds, so it reads what the CRM sync stored rather than calling the CRM.
CrmLookup = Callable[["Runtime", RepProfile, Lead], "blockkit.CrmSection | None"]

#: The CRMs whose records join the card, first found first: HubSpot's (bot.usecases.crm).
CRM_LOOKUPS: tuple[CrmLookup, ...] = (crm.lead_card_section,)


@refuses_bad_input("lead")
def lead(rt: Runtime, team_id: str, user_id: str, text: str) -> Reply:
    """`/lead <name>`: the card of the one lead the name finds, a list to pick from, or how to ask."""
    rep = rt.reps.profile(team_id, user_id)
    lang = rep.language
    query = parser.clean_text(blockkit.unescape(text))
    if not query or query.casefold() in parser.HELP_WORDS:
        return Reply(t(lang, "lead.usage"))
    with rt.db.read() as session:
        # Matching reads every lead of the team: their keys (the name case-folded, which is all matching looks
        # at) come from the (team_id, key) index alone, through Core, whose rows cost far less than the ORM's.
        rows = session.connection().execute(select(Lead.id, Lead.key).where(Lead.team_id == team_id))
        match = find_lead(query, rows.all())
        if match.found is not None:
            message = _card(rt, session, rep, match.found)
            return Reply(message["text"], blocks=message["blocks"])
        if not match.lead_ids:
            lines = [t(lang, "lead.none", query=blockkit.escape(query)), t(lang, "lead.how")]
            recent = _recent_names(session, team_id)
            if recent:
                lines.append(t(lang, "lead.recent", names=", ".join(blockkit.escape(n) for n in recent)))
            return Reply("\n".join(lines), ok=False)
        names = dict(session.execute(select(Lead.id, Lead.name).where(Lead.id.in_(match.lead_ids))).all())
    text_ = t(
        lang,
        "lead.pick",
        leads=count(Count(len(match.lead_ids) + match.more, "lead"), lang),
        query=blockkit.escape(query),
    )
    more = t(lang, "lead.pick_more", more=match.more) if match.more else None
    message = blockkit.lead_choices(lang, text_, [(i, names[i]) for i in match.lead_ids], more)
    return Reply(message["text"], blocks=message["blocks"])


def card_message(rt: Runtime, team_id: str, user_id: str, value: str) -> dict[str, Any]:
    """A "Lead card" button (its value the lead's id): the card, or why there is none.

    Another workspace's lead is never shown: the lead must be in the clicker's own.
    """
    rep = rt.reps.profile(team_id, user_id)
    with rt.db.read() as session:
        if value.isdigit():
            return _card(rt, session, rep, int(value))
    return blockkit.plain(t(rep.language, "lead.gone"))


def card_modal(rt: Runtime, team_id: str, user_id: str, value: str) -> dict[str, Any]:
    """The card as a modal, for the button on the App Home."""
    language = rt.reps.profile(team_id, user_id).language
    return blockkit.lead_card_modal(language, card_message(rt, team_id, user_id, value))


def _card(rt: Runtime, session: Session, rep: RepProfile, lead_id: int) -> dict[str, Any]:
    lang, now, tz = rep.language, rt.clock(), rep.tz
    lead_row = session.get(Lead, lead_id)
    if lead_row is None or lead_row.team_id != rep.team_id:
        return blockkit.plain(t(lang, "lead.gone"))
    calls = (Activity.team_id == rep.team_id) & (Activity.lead_id == lead_id) & (Activity.kind == ActivityKind.CALL)
    total, researched, reps, first = session.execute(
        select(
            func.count(),
            func.count().filter(Activity.researched),
            func.count(func.distinct(Activity.user_id)),
            func.min(Activity.started_at),
        ).where(calls)
    ).one()
    if not total:
        return blockkit.plain(t(lang, "lead.gone"))
    names = {r.user_id: r for r in session.scalars(select(Rep).where(Rep.team_id == rep.team_id))}
    teammate = t(lang, "board.teammate")

    def who(user_id: str) -> str:
        if user_id == rep.user_id:
            return t(lang, "lead.you")
        return blockkit.escape(display_name(names.get(user_id), user_id, teammate, rep.user_id))

    def when(at: dt.datetime) -> str:
        return blockkit.local_when(lang, at, now, tz)

    recent = list(
        session.scalars(
            select(Activity).where(calls).order_by(Activity.started_at.desc(), Activity.id.desc()).limit(SHOWN_CALLS)
        )
    )
    last = recent[0]
    summary = [
        t(
            lang,
            "lead.summary",
            calls=count(Count(total, "call"), lang),
            reps=count(Count(reps, "rep"), lang),
            first=blockkit.local_date(lang, first.astimezone(tz).date()),
            outcome=blockkit.outcome_name(lang, last.outcome),
            when=when(last.started_at),
        ),
        t(lang, "lead.research", researched=researched, calls=count(Count(total, "call"), lang)),
    ]
    dm = session.execute(
        select(Activity.started_at, Activity.user_id)
        .where(calls, Activity.decision_maker)
        .order_by(Activity.started_at.desc())
        .limit(1)
    ).first()
    summary.append(
        t(lang, "lead.dm_yes", when=when(dm.started_at), who=who(dm.user_id)) if dm else t(lang, "lead.dm_no")
    )
    summary.append(_next_attempt(session, rep, lead_row, who, when))
    attempts = [_attempt_line(lang, call, who, when) for call in recent]
    earlier = _earlier(session, rep, calls, total - len(recent), recent[-1]) if total > len(recent) else None
    crm = next((section for lookup in CRM_LOOKUPS if (section := lookup(rt, rep, lead_row)) is not None), None)
    return blockkit.lead_card(lang, lead=lead_row.name, summary=summary, attempts=attempts, earlier=earlier, crm=crm)


def _next_attempt(
    session: Session, rep: RepProfile, lead_row: Lead, who: Callable[[str], str], when: Callable[[dt.datetime], str]
) -> str:
    """The follow-up due next, from the outbox; or where the cadence stands when none is."""
    lang = rep.language
    calls = Count(lead_row.attempts, "call")
    if lead_row.cadence == "reached" and lead_row.reached_at:
        return t(lang, "lead.status_reached", when=when(lead_row.reached_at))
    if lead_row.cadence == "stopped":
        return t(lang, "lead.status_stopped", calls=count(calls, lang))
    if lead_row.cadence == "exhausted":
        return t(lang, "lead.status_exhausted", calls=count(calls, lang))
    due = session.execute(
        select(Nudge.user_id, Nudge.due_at, Nudge.attempt)
        .where(
            Nudge.team_id == rep.team_id,
            Nudge.lead_id == lead_row.id,
            Nudge.kind == "followup",
            or_(Nudge.status.in_(("pending", "sending")), and_(Nudge.status == "sent", Nudge.acted_at.is_(None))),
            Nudge.attempt == lead_row.unreached_attempts + 1,
        )
        .order_by(Nudge.due_at)
        .limit(1)
    ).first()
    if lead_row.cadence != "active" or due is None:
        return t(lang, "lead.status_none")
    return t(
        lang,
        "lead.next",
        who=who(due.user_id or lead_row.owner_id),
        when=when(due.due_at),
        attempt=lead_row.attempts + 1,
        target=rep.cadence.target,
    )


def _attempt_line(lang: str, call: Activity, who: Callable[[str], str], when: Callable[[dt.datetime], str]) -> str:
    flags = [t(lang, "call.flag_research")] if call.researched else []
    flags += [t(lang, "call.flag_dm")] if call.decision_maker else []
    line = t(
        lang,
        "lead.attempt",
        number=call.attempt or "",
        when=when(call.started_at),
        outcome=blockkit.outcome_name(lang, call.outcome or Outcome.NO_ANSWER),
        who=who(call.user_id),
        flags=t(lang, "lead.flags", flags=", ".join(flags)) if flags else "",
    )
    if call.note:
        line += "\n" + t(lang, "lead.note", note=blockkit.escape(call.note))
    return line


def _earlier(session: Session, rep: RepProfile, calls: Any, hidden: int, oldest_shown: Activity) -> str:
    """The calls before those shown, in a line: how many, from when, and their outcomes most frequent first."""
    lang = rep.language
    before = or_(
        Activity.started_at < oldest_shown.started_at,
        and_(Activity.started_at == oldest_shown.started_at, Activity.id < oldest_shown.id),
    )
    rows = session.execute(
        select(Activity.outcome, func.count(), func.min(Activity.started_at))
        .where(calls, before)
        .group_by(Activity.outcome)
    ).all()
    first = min(row[2] for row in rows)
    outcomes = ", ".join(
        t(lang, "lead.outcome_count", n=n, outcome=blockkit.outcome_name(lang, outcome or Outcome.NO_ANSWER))
        for outcome, n, _ in sorted(rows, key=lambda row: (-row[1], row[0] or ""))
    )
    return t(
        lang,
        "lead.earlier",
        calls=count(Count(hidden, "call"), lang),
        first=blockkit.local_date(lang, first.astimezone(rep.tz).date()),
        outcomes=outcomes,
    )


def _recent_names(session: Session, team_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Lead.name)
            .where(Lead.team_id == team_id, Lead.last_attempt_at.is_not(None))
            .order_by(Lead.last_attempt_at.desc())
            .limit(RECENT_NAMES)
        )
    )
