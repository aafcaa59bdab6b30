"""The weekly chart: a rep's week as one PNG (work per day, connect rate per day, attempts per lead).

`week_data` reads the figures with SQL aggregates over that one rep's week: rows are bucketed into the rep's
local days in SQL (a CASE over the UTC instants at which each local day starts, computed with `zoneinfo`, so
daylight saving is exact on SQLite and PostgreSQL alike) and summed per day, kind and kind of work.
`render_week_chart` draws them with matplotlib's Agg canvas on a `Figure` of its own (no pyplot, no display,
nothing global), so it is safe to call from several threads at once.

What counts:

- *Work per day* is the minutes of logged work (`/log`: email, research, admin, meeting, prep) by kind, on the
  local day the piece of work started. Calls are instants and carry no duration, so they are not turned into
  minutes (no invented minutes per call): the chart draws the day's dials as a line on a second axis instead.
  Focus blocks are reserved time that the calls and work logged inside them already cover, and breaks aren't
  work: neither is counted.
- *Connect rate* is `coaching.metrics.connect_rate` (conversations per dial), per local day; a day without dials
  has no rate (a gap, not 0%).
- *Attempts per lead* is `coaching.metrics`' (the leads the rep called that week and didn't reach, each with its
  attempts so far), counted by `bot.storage.standings.lead_attempts`, the same figure the scorecard, the digest
  and the board show. It is set beside the target (6 by default) and the widely cited 1.3 at which reps give up.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.storage.models import Activity
from bot.storage.standings import lead_attempts
from coaching.benchmarks import CONNECT_RATE_AVERAGE, CONVERTED_REACHED_BY_CALL, WIDELY_CITED_ATTEMPTS
from coaching.domain import CONVERSATIONS, LOGGABLE_WORK, ActivityKind
from coaching.findings import Count
from coaching.hours import local_datetime, zone
from coaching.i18n import t
from coaching.metrics import LeadAttempts, connect_rate
from coaching.numbers import MISSING, fmt_num, fmt_pct
from coaching.render import count

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The PNG's size: 12 x 6 inches at 100 dpi is 1200 x 600 pixels.
FIGSIZE = (12.0, 6.0)
DPI = 100

#: One colour per kind of logged work (Okabe-Ito: tells apart with every common colour-vision deficiency).
WORK_COLOURS = {
    "email": "#56B4E9",
    "research": "#009E73",
    "admin": "#E69F00",
    "meeting": "#CC79A7",
    "prep": "#D55E00",
}
_INK = "#333333"
_MUTED = "#777777"
_GRID = "#E6E6E6"
_YOU = "#0072B2"
_TARGET = "#009E73"
_CITED = "#AAAAAA"
_WORK_KINDS = tuple(work.value for work in LOGGABLE_WORK)


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One local day of the rep's week."""

    day: dt.date
    #: Minutes of logged work by kind of work (`WorkType` values), only the kinds logged that day.
    work_minutes: dict[str, float] = field(default_factory=dict)
    dials: int = 0
    conversations: int = 0
    #: Every activity that day (calls, work, breaks, focus blocks): whether the rep was active at all.
    activities: int = 0

    @property
    def connect_rate(self) -> float | None:
        """Conversations per dial; None on a day without dials."""
        return connect_rate(self.conversations, self.dials)

    @property
    def total_work_minutes(self) -> float:
        """All logged work of the day, in minutes."""
        return sum(self.work_minutes.values())


@dataclass(frozen=True, slots=True)
class WeekData:
    """What the weekly chart shows: the rep's local days and the week's attempts per lead.

    `days` runs Monday to Friday, plus Saturday and Sunday when the rep was active on either.
    """

    first_day: dt.date
    last_day: dt.date
    days: tuple[DayFigures, ...]
    #: Attempts per lead (`coaching.metrics.LeadAttempts`): the leads called that week and not reached.
    lead_attempts: LeadAttempts = LeadAttempts()

    @property
    def leads_called(self) -> int:
        """Leads the rep called that week and didn't reach."""
        return self.lead_attempts.leads

    @property
    def attempts_per_lead(self) -> float | None:
        """Mean attempts so far on those leads; None when there are none."""
        return self.lead_attempts.per_lead

    @property
    def dials(self) -> int:
        """Dials of the whole week."""
        return sum(day.dials for day in self.days)

    @property
    def conversations(self) -> int:
        """Conversations of the whole week."""
        return sum(day.conversations for day in self.days)

    @property
    def connect_rate(self) -> float | None:
        """Conversations per dial over the week; None without dials."""
        return connect_rate(self.conversations, self.dials)

    def day(self, day: dt.date) -> DayFigures:
        """The figures of one day of the week."""
        for figures in self.days:
            if figures.day == day:
                return figures
        raise KeyError(day)


# -- reading -----------------------------------------------------------------------------------------------------


def week_data(
    session: Session,
    team_id: str,
    user_id: str,
    week_start: dt.datetime,
    week_end: dt.datetime,
    tz: ZoneInfo | str | None,
) -> WeekData:
    """The rep's figures for the activities that started in [week_start, week_end), per local day in `tz`.

    `week_start` and `week_end` are aware instants, normally local midnights a week apart
    (`coaching.hours.local_week_start`). Saturday and Sunday are included only when the rep was active on one.
    """
    if week_start.tzinfo is None or week_end.tzinfo is None:
        raise ValueError("week_start and week_end must be aware datetimes")
    if not week_start < week_end:
        raise ValueError("week_start must be before week_end")
    tzinfo = tz if isinstance(tz, ZoneInfo) else zone(tz)
    first = week_start.astimezone(tzinfo).date()
    last = (week_end - dt.timedelta(microseconds=1)).astimezone(tzinfo).date()
    dates = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    # Where each local day ends, clipped to the window: day i holds started_at in [ends[i-1], ends[i]).
    ends = [min(local_datetime(day + dt.timedelta(days=1), dt.time(0), tzinfo), week_end) for day in dates]
    bucket = case(*((Activity.started_at < end, i) for i, end in enumerate(ends[:-1])), else_=len(ends) - 1)
    is_work = Activity.kind == ActivityKind.WORK.value
    rep_week = (
        Activity.team_id == team_id,
        Activity.user_id == user_id,
        Activity.started_at >= week_start,
        Activity.started_at < week_end,
    )
    rows = (
        select(
            bucket.label("day"),
            Activity.kind.label("kind"),
            Activity.work.label("work"),
            case((Activity.outcome.in_([o.value for o in CONVERSATIONS]), 1), else_=0).label("conversation"),
            case((is_work, _minutes_expression(session)), else_=0).label("minutes"),
        )
        .where(*rep_week)
        .subquery()
    )
    per_day = session.execute(
        select(
            rows.c.day,
            rows.c.kind,
            rows.c.work,
            func.count().label("n"),
            func.sum(rows.c.conversation).label("conversations"),
            func.sum(rows.c.minutes).label("minutes"),
        ).group_by(rows.c.day, rows.c.kind, rows.c.work)
    ).all()

    work: list[dict[str, float]] = [{} for _ in dates]
    dials = [0] * len(dates)
    conversations = [0] * len(dates)
    activities = [0] * len(dates)
    for row in per_day:
        i = int(row.day)
        activities[i] += row.n
        if row.kind == ActivityKind.CALL.value:
            dials[i] += row.n
            conversations[i] += int(row.conversations or 0)
        elif row.kind == ActivityKind.WORK.value and row.work:
            minutes = max(float(row.minutes or 0), 0.0)
            work[i][row.work] = work[i].get(row.work, 0.0) + round(minutes, 2)

    days = [
        DayFigures(day, work[i], dials[i], conversations[i], activities[i])
        for i, day in enumerate(dates)
        if day.weekday() < 5 or any(activities[j] for j, d in enumerate(dates) if d.weekday() >= 5)
    ]

    attempts = lead_attempts(session, team_id, week_start, week_end, user_id=user_id).get(user_id, LeadAttempts())
    return WeekData(first_day=first, last_day=last, days=tuple(days), lead_attempts=attempts)


def _minutes_expression(session: Session) -> Any:
    """SQL for an activity's length in minutes, on the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Activity.ended_at - Activity.started_at) / 60.0
    # SQLite stores UTC as ISO text; julianday reads it as days (with fractions) since a fixed epoch.
    return (func.julianday(Activity.ended_at) - func.julianday(Activity.started_at)) * 1440.0


# -- drawing -----------------------------------------------------------------------------------------------------


def render_week_chart(data: WeekData, language: str, *, target_attempts: int = CONVERTED_REACHED_BY_CALL) -> bytes:
    """The week as a 1200 x 600 PNG in `language` (`en` or `nl`): three panels side by side and stacked.

    Left, top: logged work per day as stacked bars (hours, by kind) with the day's dials as a line on a second
    axis. Left, bottom: connect rate per day (%) beside the 5.4% average. Right: the week's attempts per lead
    beside the widely cited 1.3 and the target.
    """
    fig = week_figure(data, language, target_attempts=target_attempts)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def week_figure(data: WeekData, language: str, *, target_attempts: int = CONVERTED_REACHED_BY_CALL) -> Figure:
    """The chart as a matplotlib `Figure` on an Agg canvas, laid out and ready to save (or to measure)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 2, width_ratios=(2.1, 1), height_ratios=(1.15, 1))
    work_ax = fig.add_subplot(grid[0, 0])
    rate_ax = fig.add_subplot(grid[1, 0], sharex=work_ax)
    attempts_ax = fig.add_subplot(grid[:, 1])

    weekdays = t(language, "chart.weekdays").split()
    labels = [t(language, "chart.day", weekday=weekdays[d.day.weekday()], day=d.day.day) for d in data.days]
    fig.suptitle(
        t(
            language,
            "chart.title",
            week=data.first_day.isocalendar().week,
            start=_date(data.first_day, language),
            end=_date(data.last_day, language),
        ),
        fontsize=15,
        fontweight="bold",
        color=_INK,
    )
    _draw_work(work_ax, data, labels, language)
    _draw_rate(rate_ax, data, labels, language)
    _draw_attempts(attempts_ax, data, language, target_attempts)
    work_ax.tick_params(labelbottom=False)
    return fig


def _date(day: dt.date, language: str) -> str:
    months = t(language, "time.months").split()
    return t(language, "chart.date", day=day.day, month=months[day.month - 1])


def _style(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(_MUTED)
    ax.tick_params(colors=_INK, labelsize=9)
    ax.grid(axis="y", color=_GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def _formatter(function: Any) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _position: function(value))


def _nice(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value` (a whole number from 1 up)."""
    magnitude = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        nice = factor * magnitude
        if nice >= value and (nice >= 10 or nice == int(nice)):
            return float(nice)
    return 10.0 * magnitude


def _wrap(text: str, width: int = 46) -> list[str]:
    """`text` in lines of at most about `width` characters, balanced so no line is a lone word."""
    lines = max(1, math.ceil(len(text) / width))
    return textwrap.wrap(text, math.ceil(len(text) / lines) + 3) if lines > 1 else [text]


def _say_empty(ax: Axes, text: str, height: float) -> None:
    """A muted note in the middle of a panel with nothing to draw."""
    ax.text(0.5, height, text, transform=ax.transAxes, ha="center", va="center", fontsize=11, color=_MUTED)


def _draw_work(ax: Axes, data: WeekData, labels: list[str], language: str) -> None:
    from matplotlib.ticker import MaxNLocator, MultipleLocator

    _style(ax)
    x = range(len(data.days))
    bottom = [0.0] * len(data.days)
    for kind in _WORK_KINDS:
        hours = [day.work_minutes.get(kind, 0.0) / 60 for day in data.days]
        if not any(hours):
            continue
        ax.bar(x, hours, 0.6, bottom=bottom, color=WORK_COLOURS[kind], label=t(language, f"work.{kind}"))
        bottom = [b + h for b, h in zip(bottom, hours, strict=True)]
    top = max(bottom, default=0.0)
    hours_top = max(top * 1.3, 1.0)  # headroom for the legend
    hours_locator = MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10])
    hours_ticks = hours_locator.tick_values(0, hours_top)
    hours_step = float(hours_ticks[1] - hours_ticks[0])
    ax.set_ylim(0, hours_top)
    ax.yaxis.set_major_locator(hours_locator)
    ax.yaxis.set_major_formatter(_formatter(lambda v: fmt_num(v, language)))
    ax.set_ylabel(t(language, "chart.work.axis"), color=_INK, fontsize=10)
    ax.set_title(t(language, "chart.work.title"), loc="left", fontsize=12, color=_INK)
    ax.set_xticks(list(x), labels)
    ax.set_xlim(-0.6, len(data.days) - 0.4)

    dials_ax = ax.twinx()
    dials = [day.dials for day in data.days]
    if any(dials):
        dials_ax.plot(
            x, dials, color=_INK, marker="o", markersize=5, linewidth=1.5, label=t(language, "chart.work.dials")
        )
    # The dials' ticks sit on the hours' grid lines: one dial step per hours step, a round number of dials.
    steps = hours_top / hours_step
    dial_step = _nice(max(max(dials, default=0) * 1.3 / steps, 1.0))
    dials_ax.set_ylim(0, dial_step * steps)
    dials_ax.yaxis.set_major_locator(MultipleLocator(dial_step))
    dials_ax.yaxis.set_major_formatter(_formatter(lambda v: fmt_num(v, language, 0)))
    dials_ax.set_ylabel(t(language, "chart.work.dials_axis"), color=_INK, fontsize=10)
    for side in ("top", "left"):
        dials_ax.spines[side].set_visible(False)
    dials_ax.spines["right"].set_color(_MUTED)
    dials_ax.spines["bottom"].set_visible(False)
    dials_ax.tick_params(colors=_INK, labelsize=9)

    if top == 0 and not any(dials):
        _say_empty(ax, t(language, "chart.work.empty"), 0.5)
    handles, names = ax.get_legend_handles_labels()
    more_handles, more_names = dials_ax.get_legend_handles_labels()
    dials_ax.legend(
        handles + more_handles,
        names + more_names,
        loc="upper left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=6,
        fontsize=8.5,
        frameon=False,
        handlelength=1.4,
        columnspacing=1.0,
    )


def _draw_rate(ax: Axes, data: WeekData, labels: list[str], language: str) -> None:
    from matplotlib.ticker import MaxNLocator

    _style(ax)
    x = list(range(len(data.days)))
    rates = [day.connect_rate for day in data.days]
    shown = [(i, r) for i, r in zip(x, rates, strict=True) if r is not None]
    top = max([r for _, r in shown] + [CONNECT_RATE_AVERAGE * 2.2])
    # Headroom for the two-line point labels above the highest point, however high: no tick above 100% though.
    ceiling = top * 1.4
    ax.set_ylim(0, ceiling)
    ax.axhline(CONNECT_RATE_AVERAGE, color=_MUTED, linestyle="--", linewidth=1)
    # The average's label sits just outside the plot, at the line's height: inside, a day's point label could
    # land on it (the layout makes room for it, as for the tick labels).
    ax.text(
        1.01,
        CONNECT_RATE_AVERAGE,
        t(language, "chart.connect.average", rate=fmt_pct(CONNECT_RATE_AVERAGE, language)),
        transform=ax.get_yaxis_transform(),
        ha="left",
        va="center",
        fontsize=8.5,
        color=_MUTED,
        linespacing=1.2,
    )
    # No dials, no rate: a gap in the line rather than a drop to 0%.
    ax.plot(x, [float("nan") if r is None else r for r in rates], color=_YOU, marker="o", markersize=6, linewidth=2)
    for i, rate in shown:
        day = data.days[i]
        ax.annotate(
            t(
                language,
                "chart.connect.point",
                rate=fmt_pct(rate, language, 0),
                conversations=day.conversations,
                dials=day.dials,
            ),
            (i, rate),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            va="bottom",
            fontsize=8.5,
            color=_INK,
            linespacing=1.15,
        )
    if not shown:
        _say_empty(ax, t(language, "chart.connect.empty"), 0.6)
    ticks = MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(0, ceiling)
    ax.set_yticks([tick for tick in ticks if 0 <= tick <= min(ceiling, 1.0) + 1e-9])
    ax.yaxis.set_major_formatter(_formatter(lambda v: fmt_pct(v, language)))
    ax.set_ylabel(t(language, "chart.connect.axis"), color=_INK, fontsize=10)
    ax.set_title(t(language, "chart.connect.title"), loc="left", fontsize=12, color=_INK)
    ax.set_xticks(x, labels)


def _draw_attempts(ax: Axes, data: WeekData, language: str, target: int) -> None:
    _style(ax)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=_GRID, linewidth=0.8)
    you = data.attempts_per_lead
    bars = [
        (t(language, "chart.attempts.widely_cited"), WIDELY_CITED_ATTEMPTS, _CITED),
        (t(language, "chart.attempts.you"), you or 0.0, _YOU),
        (t(language, "chart.attempts.target"), float(target), _TARGET),
    ]
    y = [2, 1, 0]
    ax.barh(y, [value for _, value, _ in bars], 0.55, color=[colour for _, _, colour in bars])
    ax.set_yticks(y, [name for name, _, _ in bars], fontsize=10)
    for row, (_, value, _) in zip(y, bars, strict=True):
        text = MISSING if row == 1 and you is None else fmt_num(value, language)
        ax.text(value + 0.12, row, text, va="center", ha="left", fontsize=12, fontweight="bold", color=_INK)
    ax.set_xlim(0, max(target, you or 0.0) * 1.2 + 0.5)
    ax.xaxis.set_major_formatter(_formatter(lambda v: fmt_num(v, language)))
    ax.set_title(t(language, "chart.attempts.title"), loc="left", fontsize=12, color=_INK)
    note = (
        t(language, "chart.attempts.leads", leads=count(Count(data.leads_called, "lead"), language))
        if data.leads_called
        else t(language, "chart.attempts.none")
    )
    caption = [*_wrap(note), *_wrap(t(language, "chart.attempts.why"))]
    ax.set_xlabel("\n".join(caption), color=_MUTED, fontsize=8.5, linespacing=1.5)
