"""Leaderboards and the manager digest: figures from SQL aggregates, text from the catalogs."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reps import RepProfile, profile_of
from bot.slack import blockkit
from bot.storage.models import Activity, Nudge, Rep, Team
from bot.storage.records import lead_summaries, to_domain
from bot.storage.standings import first_meetings, persistence, standings
from bot.team import display_name, reps_by_id, team_tz
from coaching import domain
from coaching.engine import evaluate
from coaching.hours import local_datetime, local_day_bounds, local_week_start, zone
from coaching.i18n import language_for, t
from coaching.numbers import fmt_num, fmt_pct
from coaching.quality import QualitySettings, Ranked
from coaching.rules import by_code
from coaching.scorecard import period
from coaching.seasons import Post, previous_window
from coaching.streaks import in_order

TOP = 5
WINDOWS = {"today": "today", "vandaag": "today", "week": "week", "month": "month", "maand": "month", "": "week"}
# Improvement needs a base to improve on: a rep with fewer dropped leads than this in either window isn't compared.
MIN_LEADS_FOR_IMPROVEMENT = 2


def quality_settings(team_settings: dict[str, Any]) -> QualitySettings:
    """The team's leaderboard weights."""
    return QualitySettings().with_overrides(team_settings.get("quality") or {})


def window_bounds(window: str, now: dt.datetime, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of today, this week or this month in `tz`, ending now."""
    if window == "today":
        return local_day_bounds(now, tz)[0], now
    if window == "month":
        first = now.astimezone(tz).date().replace(day=1)
        return local_datetime(first, dt.time(0), tz), now
    return local_week_start(now, tz), now


def _how(language: str, q: QualitySettings) -> str:
    def n(value: float) -> str:
        return fmt_num(value, language)

    return t(
        language,
        "board.how",
        meeting=n(q.meeting_points),
        dm=n(q.decision_maker_points),
        conversation=n(q.conversation_points),
        research=n(q.researched_call_points),
        followup=n(q.followup_points),
        dial=n(q.dial_points),
        cap=q.daily_dial_cap,
    )


def _line(language: str, ranked: Ranked, name: str) -> str:
    f = ranked.figures
    return t(
        language,
        "board.line",
        position=ranked.position,
        name=blockkit.escape(name),
        score=fmt_num(ranked.score, language),
        meetings=f.meetings,
        dm=f.dm_conversations,
        researched=f.researched_calls,
        followups=f.followup_attempts,
    )


def rep_board(session: Session, rep: RepProfile, window: str, now: dt.datetime) -> str:
    """`/leaderboard [today|week|month]`: the top of the team, then the rep's own place and figures."""
    lang = rep.language
    start, end = window_bounds(window, now, rep.tz)
    q = quality_settings(rep.team_settings)
    board = [r for r in standings(session, rep.team_id, start, end, q) if r.figures.dials]
    reps = reps_by_id(session, rep.team_id)
    teammate = t(lang, "board.teammate")
    lines = [t(lang, "board.title", window=t(lang, f"board.window_{window}"))]
    if not board:
        lines.append(t(lang, "board.empty"))
    for ranked in board[:TOP]:
        name = display_name(reps.get(ranked.figures.user_id), ranked.figures.user_id, teammate, viewer=rep.user_id)
        lines.append(_line(lang, ranked, name))
    mine = next((r for r in board if r.figures.user_id == rep.user_id), None)
    if mine is None:
        lines.append(t(lang, "board.you_none"))
    else:
        f = mine.figures
        lines.append(
            t(
                lang,
                "board.you",
                position=mine.position,
                total=len(board),
                score=fmt_num(mine.score, lang),
                meetings=f.meetings,
                dm=f.dm_conversations,
                researched=f.researched_calls,
                followups=f.followup_attempts,
                dials=f.dials,
            )
        )
    lines.append(_how(lang, q))
    return "\n".join(lines)


def channel_post(session: Session, nudge: Nudge, now: dt.datetime) -> dict[str, Any] | None:
    """The scheduled post of a subscribed channel: the season so far, ranked, and what is worth celebrating."""
    team = session.get(Team, nudge.team_id)
    if team is None:
        return None
    payload = nudge.payload or {}
    tz = zone(payload.get("tz") or team_tz(team))
    # The team's language when a manager set one, else that of the manager who subscribed the channel.
    lang = (team.settings or {}).get("language")
    if lang not in ("en", "nl"):
        subscriber = session.get(Rep, (team.id, payload.get("by") or ""))
        lang = language_for(subscriber.locale, subscriber.language) if subscriber else "en"
    post = Post(
        at=dt.datetime.fromisoformat(payload["at"]),
        season_start=dt.datetime.fromisoformat(payload["season_start"]),
        final=bool(payload.get("final")),
    )
    q = quality_settings(team.settings or {})
    board = [r for r in standings(session, team.id, post.season_start, post.at, q) if r.figures.dials]
    reps = reps_by_id(session, team.id)
    teammate = t(lang, "board.teammate")

    def name(user_id: str) -> str:
        return blockkit.escape(display_name(reps.get(user_id), user_id, teammate))

    span = t(
        lang,
        "board.post_window",
        start=blockkit.local_date(lang, post.season_start.astimezone(tz).date()),
        end=blockkit.local_date(lang, post.at.astimezone(tz).date()),
    )
    title = t(lang, "board.post_final" if post.final else "board.post_title", window=span)
    lines = [title]
    if not board:
        lines.append(t(lang, "board.empty"))
    for ranked in board[:TOP]:
        lines.append(
            _line(lang, ranked, display_name(reps.get(ranked.figures.user_id), ranked.figures.user_id, teammate))
        )
    cheers = _celebrations(session, team.id, post, payload.get("season", "week"), tz, lang, name)
    blocks = [blockkit.section("\n".join(lines))]
    if cheers:
        blocks.append(blockkit.section("\n".join([t(lang, "board.celebrate_title"), *cheers])))
    footer = [_how(lang, q)]
    if post.final:
        footer.append(t(lang, "board.season_reset"))
    blocks.append(blockkit.context("\n".join(footer)))
    return {"text": title, "blocks": blocks}


def _celebrations(
    session: Session, team_id: str, post: Post, season: str, tz: ZoneInfo, lang: str, name: Any
) -> list[str]:
    cheers = []
    before_start, before_end = previous_window(season, post, tz)
    now_avg = persistence(session, team_id, post.season_start, post.at)
    before_avg = persistence(session, team_id, before_start, before_end)
    gains = {
        user: now_avg[user] - before_avg[user]
        for user in now_avg.keys() & before_avg.keys()
        if now_avg[user] > before_avg[user]
    }
    if gains:
        best = min(gains, key=lambda user: (-gains[user], user))
        cheers.append(
            t(
                lang,
                "board.most_improved",
                name=name(best),
                before=fmt_num(before_avg[best], lang),
                after=fmt_num(now_avg[best], lang),
            )
        )
    firsts = first_meetings(session, team_id, post.season_start, post.at)
    if firsts:
        cheers.append(t(lang, "board.first_meeting", names=", ".join(name(user) for user in sorted(firsts))))
    return cheers


def digest(session: Session, nudge: Nudge, now: dt.datetime) -> dict[str, Any] | None:
    """The manager's weekly digest: the team against the five misconceptions, and who would gain from a talk."""
    manager = session.get(Rep, (nudge.team_id, nudge.user_id))
    team = session.get(Team, nudge.team_id)
    if manager is None or team is None:
        return None
    profile = profile_of(manager, team)
    lang, tz = profile.language, profile.tz
    start = dt.datetime.fromisoformat((nudge.payload or {})["week_start"])
    end = dt.datetime.fromisoformat((nudge.payload or {})["week_end"])
    before = start - dt.timedelta(days=7)
    rows = session.execute(
        select(Activity).where(Activity.team_id == team.id, Activity.started_at >= before, Activity.started_at < end)
    ).scalars()
    by_rep: dict[str, list[domain.Activity]] = defaultdict(list)
    for row in rows:
        by_rep[row.user_id].append(to_domain(row))
    if not any(a.started_at >= start for acts in by_rep.values() for a in acts):
        return blockkit.plain(t(lang, "digest.quiet"))
    settings = profile.coach_settings
    reps = reps_by_id(session, team.id)
    this_week, last_week = [], []
    talks: dict[str, Counter[str]] = {}
    examples: dict[tuple[str, str], str] = {}
    for user_id, acts in sorted(by_rep.items()):
        ordered = in_order(acts)
        leads = lead_summaries(session, team.id, user_id, before)
        this_week.append(period(ordered, leads, settings, start, end))
        last_week.append(period(ordered, leads, settings, before, start))
        rep_tz = zone(reps[user_id].tz) if user_id in reps else tz
        counted: Counter[str] = Counter()
        first_day = start.astimezone(tz).date()
        for offset in range(7):
            # The manager's week, each day in the rep's own zone.
            date = first_day + dt.timedelta(days=offset)
            day, day_end = (
                local_datetime(date, dt.time(0), rep_tz),
                local_datetime(date + dt.timedelta(days=1), dt.time(0), rep_tz),
            )
            day_acts = [a for a in ordered if day <= a.started_at < day_end]
            if not day_acts:
                continue
            # Lead rules read each lead's state today, not on that day: they are left out of the daily count.
            for finding in evaluate(day_acts, (), settings, day_end, day_start=day, day_end=day_end):
                counted[finding.code] += 1
                examples.setdefault((user_id, finding.code), blockkit.local_date(lang, date))
        talks[user_id] = counted
    return blockkit.plain("\n".join(_digest_lines(lang, tz, start, end, this_week, last_week, talks, examples, reps)))


def _sum(periods: list[Any], field: str) -> float:
    return sum(getattr(p, field) or 0 for p in periods)


def _digest_lines(
    lang: str,
    tz: ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
    now: list[Any],
    before: list[Any],
    talks: dict[str, Counter[str]],
    examples: dict[tuple[str, str], str],
    reps: dict[str, Rep],
) -> list[str]:
    def rate(periods: list[Any]) -> float | None:
        dials = _sum(periods, "dials")
        return _sum(periods, "conversations") / dials if dials else None

    def attempts(periods: list[Any]) -> float | None:
        leads = _sum(periods, "unreached_leads")
        if not leads:
            return None
        return sum((p.average_attempts_unreached or 0) * p.unreached_leads for p in periods) / leads

    def research(periods: list[Any]) -> float | None:
        first = _sum(periods, "first_calls")
        return sum((p.research_share or 0) * p.first_calls for p in periods) / first if first else None

    now_rate, before_rate = rate(now), rate(before)
    trend_key = "digest.trend_same"
    if now_rate is not None and before_rate is not None and now_rate != before_rate:
        trend_key = "digest.trend_up" if now_rate > before_rate else "digest.trend_down"
    lines = [
        t(
            lang,
            "digest.title",
            start=blockkit.local_date(lang, start.astimezone(tz).date()),
            end=blockkit.local_date(lang, (end - dt.timedelta(seconds=1)).astimezone(tz).date()),
        ),
        t(
            lang,
            "digest.m1",
            rate=fmt_pct(now_rate, lang),
            trend=t(lang, trend_key, before=fmt_pct(before_rate, lang)),
            research=fmt_pct(research(now), lang),
        ),
    ]
    now_att, before_att = attempts(now), attempts(before)
    m2 = "digest.m2_same"
    if now_att is not None and before_att is not None and now_att != before_att:
        m2 = "digest.m2" if now_att > before_att else "digest.m2_down"
    lines.append(t(lang, m2, attempts=fmt_num(now_att, lang), before=fmt_num(before_att, lang)))
    admin = _sum(now, "admin_minutes")
    working = sum(p.admin_minutes / p.admin_share for p in now if p.admin_share)
    lines.append(
        t(lang, "digest.m3", share=fmt_pct(admin / working if working else None, lang), minutes=fmt_num(admin, lang))
    )
    active = [p for p in now if p.dials or p.admin_minutes]
    switches = sum(p.max_switches for p in active) / len(active) if active else 0
    lines.append(t(lang, "digest.m4", switches=fmt_num(switches, lang)))
    streak = max((p.longest_streak_minutes for p in now), default=0)
    lines.append(t(lang, "digest.m5", breaks=int(_sum(now, "breaks")), streak=fmt_num(round(streak), lang)))
    lines.append(t(lang, "digest.talk_title"))
    ranked = sorted(
        ((user, code, days) for user, counted in talks.items() for code, days in counted.items() if days > 1),
        key=lambda item: (-item[2], item[1], item[0]),
    )
    seen: set[str] = set()
    for user, code, days in ranked:
        if user in seen or len(seen) >= 3:
            continue
        seen.add(user)
        rep = reps.get(user)
        lines.append(
            t(
                lang,
                "digest.talk_line",
                name=blockkit.escape(rep.name if rep and rep.name else user),
                rule=f"{code} {t(lang, by_code(code).name)}",
                days=days,
                example=examples[(user, code)],
            )
        )
    if not seen:
        lines.append(t(lang, "digest.talk_none"))
    return lines


def team_summary(session: Session, team_id: str, now: dt.datetime, tz: ZoneInfo, lang: str) -> str:
    """One line about the team's week, for a manager's App Home."""
    start = local_week_start(now, tz)
    board = standings(session, team_id, start, now, QualitySettings())
    dials = sum(r.figures.dials for r in board)
    conversations = sum(r.figures.conversations for r in board)
    return t(
        lang,
        "home.team_line",
        reps=sum(1 for r in board if r.figures.dials),
        dials=dials,
        conversations=conversations,
        meetings=sum(r.figures.meetings for r in board),
        rate=fmt_pct(conversations / dials if dials else None, lang),
    )
