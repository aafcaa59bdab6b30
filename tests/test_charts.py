"""The weekly chart: its figures from the database, per local day, and the PNG it draws in both languages."""

from __future__ import annotations

import datetime as dt
import itertools
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.slack.charts import DayFigures, WeekData, render_week_chart, week_data, week_figure
from bot.storage.models import Activity, Lead, Rep, Team
from coaching.hours import local_datetime, local_week_start, zone
from coaching.metrics import LeadAttempts
from tests.rows import activity

AMS = zone("Europe/Amsterdam")
UTC = dt.UTC
T0 = dt.datetime(2026, 11, 1, tzinfo=UTC)
# Monday 23 November 2026, Amsterdam (UTC+1): the week runs 22 Nov 23:00 UTC to 29 Nov 23:00 UTC.
WEEK_START = local_week_start(dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC), AMS)
WEEK_END = local_datetime(dt.date(2026, 11, 30), dt.time(0), AMS)
MONDAY = dt.date(2026, 11, 23)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def add_rep(session, team: str, user: str, tz: str = "Europe/Amsterdam") -> None:
    if session.get(Team, team) is None:
        session.add(Team(id=team, name=team, settings={}, created_at=T0))
        session.flush()
    session.add(Rep(team_id=team, user_id=user, name=user.title(), tz=tz, created_at=T0))
    session.flush()


def add_lead(session, team: str, name: str) -> int:
    lead = Lead(team_id=team, key=name.casefold(), name=name, owner_id="U1", created_at=T0)
    session.add(lead)
    session.flush()
    return lead.id


def call(team, user, at, outcome, lead_id=None, attempt=None) -> Activity:
    return activity(team, user, "call", at, outcome=outcome, lead_id=lead_id, attempt=attempt)


def work(team, user, start, minutes, kind, what="work") -> Activity:
    return activity(team, user, what, start, minutes, work=kind)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (which must come first and carry a valid CRC)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, chunk = struct.unpack(">I4s", png[8:16])
    assert chunk == b"IHDR" and length == 13
    body = png[16 : 16 + length]
    (crc,) = struct.unpack(">I", png[16 + length : 20 + length])
    assert crc == zlib.crc32(chunk + body)
    width, height = struct.unpack(">II", body[:8])
    assert png.endswith(b"IEND\xaeB`\x82")
    return width, height


# -- week_data ---------------------------------------------------------------------------------------------------


@pytest.fixture
def busy_week(db):
    with db.transaction() as s:
        add_rep(s, "T1", "U1")
        add_rep(s, "T1", "U2")
        add_rep(s, "T2", "U1")  # the same user id in another workspace
        acme, initech, globex = (add_lead(s, "T1", name) for name in ("Acme", "Initech", "Globex"))
        other_lead = add_lead(s, "T2", "Acme")
        s.add_all(
            [
                # Monday 10:00 and 10:05 local
                call("T1", "U1", utc(2026, 11, 23, 9, 0), "no-answer", acme, 1),
                call("T1", "U1", utc(2026, 11, 23, 9, 5), "connected", initech, 1),
                # Monday 23:30 UTC is Tuesday 00:30 in Amsterdam
                call("T1", "U1", utc(2026, 11, 23, 23, 30), "meeting", acme, 2),
                # Sunday 23:30 UTC is Monday 00:30 local: this week; Sunday 22:30 UTC is last week
                work("T1", "U1", utc(2026, 11, 22, 23, 30), 30, "email"),
                work("T1", "U1", utc(2026, 11, 22, 22, 30), 60, "admin"),
                # Tuesday: admin in two pieces, research
                work("T1", "U1", utc(2026, 11, 24, 10, 0), 60, "admin"),
                work("T1", "U1", utc(2026, 11, 24, 15, 0), 30, "admin"),
                work("T1", "U1", utc(2026, 11, 24, 12, 0), 45, "research"),
                # Wednesday: a break and a focus block are activity, not work
                work("T1", "U1", utc(2026, 11, 25, 10, 0), 10, None, "break"),
                work("T1", "U1", utc(2026, 11, 25, 13, 0), 60, "calls", "focus"),
                # Thursday: the third attempt on Globex; two wrong persons are conversations
                call("T1", "U1", utc(2026, 11, 26, 9, 0), "voicemail", globex, 3),
                call("T1", "U1", utc(2026, 11, 26, 9, 10), "wrong-person", None, None),
                call("T1", "U1", utc(2026, 11, 26, 9, 20), "gatekeeper", initech, 2),
                # Next Monday 00:30 local: next week
                call("T1", "U1", utc(2026, 11, 29, 23, 30), "connected", globex, 4),
                # Another rep of the team and the same user id in another workspace: never counted
                call("T1", "U2", utc(2026, 11, 23, 10, 0), "connected", acme, 5),
                work("T1", "U2", utc(2026, 11, 23, 10, 0), 120, "admin"),
                call("T2", "U1", utc(2026, 11, 23, 10, 0), "connected", other_lead, 9),
                work("T2", "U1", utc(2026, 11, 23, 10, 0), 120, "prep"),
            ]
        )
    return db


def test_week_data_counts_per_local_day(busy_week):
    with busy_week.transaction() as s:
        data = week_data(s, "T1", "U1", WEEK_START, WEEK_END, "Europe/Amsterdam")
    assert data.first_day == MONDAY and data.last_day == dt.date(2026, 11, 29)
    assert [d.day for d in data.days] == [MONDAY + dt.timedelta(days=i) for i in range(5)]  # no weekend activity
    mon, tue, wed, thu, fri = data.days
    assert (mon.dials, mon.conversations, mon.connect_rate) == (2, 1, 0.5)
    assert mon.work_minutes == {"email": pytest.approx(30)}
    assert mon.activities == 3
    assert (tue.dials, tue.conversations, tue.connect_rate) == (1, 1, 1.0)  # the 23:30 UTC call
    assert tue.work_minutes == {"admin": pytest.approx(90), "research": pytest.approx(45)}
    assert tue.total_work_minutes == pytest.approx(135)
    assert (wed.dials, wed.connect_rate, wed.work_minutes, wed.activities) == (0, None, {}, 2)
    assert (thu.dials, thu.conversations) == (3, 1)
    assert thu.connect_rate == pytest.approx(1 / 3)
    assert fri == DayFigures(dt.date(2026, 11, 27))
    assert (data.dials, data.conversations) == (6, 3)
    # Leads called: Acme (reached with the meeting), Initech (reached: connected), Globex (attempt 3, not reached):
    # attempts per lead counts the leads not reached, each with its highest attempt (coaching.metrics).
    assert data.lead_attempts == LeadAttempts(leads=1, attempts=3)
    assert (data.leads_called, data.attempts_per_lead) == (1, 3.0)


def test_other_reps_and_workspaces_are_invisible(busy_week):
    with busy_week.transaction() as s:
        other_rep = week_data(s, "T1", "U2", WEEK_START, WEEK_END, AMS)
        other_team = week_data(s, "T2", "U1", WEEK_START, WEEK_END, AMS)
        nobody = week_data(s, "T3", "U1", WEEK_START, WEEK_END, AMS)
    assert other_rep.dials == 1 and other_rep.days[0].work_minutes == {"admin": pytest.approx(120)}
    assert other_rep.attempts_per_lead is None  # their one lead was reached
    assert other_team.dials == 1 and other_team.days[0].work_minutes == {"prep": pytest.approx(120)}
    assert other_team.attempts_per_lead is None
    assert nobody.dials == 0 and nobody.attempts_per_lead is None and nobody.leads_called == 0
    assert len(nobody.days) == 5 and all(d == DayFigures(d.day) for d in nobody.days)


def test_the_same_instant_falls_on_the_reps_own_day(db):
    with db.transaction() as s:
        add_rep(s, "T1", "U1", "Europe/Amsterdam")
        add_rep(s, "T1", "U9", "America/New_York")
        for user in ("U1", "U9"):
            s.add(call("T1", user, utc(2026, 11, 24, 3, 30), "connected"))  # Tue 04:30 AMS, Mon 22:30 NY
    ny = zone("America/New_York")
    with db.transaction() as s:
        ams = week_data(s, "T1", "U1", WEEK_START, WEEK_END, AMS)
        new_york = week_data(
            s,
            "T1",
            "U9",
            local_datetime(MONDAY, dt.time(0), ny),
            local_datetime(dt.date(2026, 11, 30), dt.time(0), ny),
            ny,
        )
    assert [d.dials for d in ams.days] == [0, 1, 0, 0, 0]
    assert [d.dials for d in new_york.days] == [1, 0, 0, 0, 0]


def test_weekend_days_appear_when_the_rep_worked_then(db):
    with db.transaction() as s:
        add_rep(s, "T1", "U1")
        s.add(call("T1", "U1", utc(2026, 11, 28, 10, 0), "busy"))  # Saturday
    with db.transaction() as s:
        data = week_data(s, "T1", "U1", WEEK_START, WEEK_END, AMS)
    assert [d.day.weekday() for d in data.days] == [0, 1, 2, 3, 4, 5, 6]
    assert data.days[5].dials == 1 and data.days[5].connect_rate == 0
    assert data.days[6].dials == 0


def test_daylight_saving_week_has_a_25_hour_sunday(db):
    # Amsterdam leaves summer time on Sunday 25 October 2026 at 03:00 local (01:00 UTC).
    start = local_datetime(dt.date(2026, 10, 19), dt.time(0), AMS)
    end = local_datetime(dt.date(2026, 10, 26), dt.time(0), AMS)
    assert end - start == dt.timedelta(days=7, hours=1)
    with db.transaction() as s:
        add_rep(s, "T1", "U1")
        s.add_all(
            [
                call("T1", "U1", utc(2026, 10, 24, 21, 59), "busy"),  # Saturday 23:59 CEST
                call("T1", "U1", utc(2026, 10, 24, 22, 0), "busy"),  # Sunday 00:00 CEST
                call("T1", "U1", utc(2026, 10, 25, 22, 59), "busy"),  # Sunday 23:59 CET
                call("T1", "U1", utc(2026, 10, 25, 23, 0), "busy"),  # Monday 00:00 CET: next week
            ]
        )
    with db.transaction() as s:
        data = week_data(s, "T1", "U1", start, end, AMS)
    assert [d.dials for d in data.days] == [0, 0, 0, 0, 0, 1, 2]


def test_work_minutes_are_exact_to_the_second(db):
    with db.transaction() as s:
        add_rep(s, "T1", "U1")
        start = utc(2026, 11, 25, 8, 0)
        s.add(
            Activity(
                team_id="T1",
                user_id="U1",
                kind="work",
                started_at=start,
                ended_at=start + dt.timedelta(minutes=37, seconds=30),
                work="prep",
                created_at=start,
            )
        )
    with db.transaction() as s:
        data = week_data(s, "T1", "U1", WEEK_START, WEEK_END, AMS)
    assert data.day(dt.date(2026, 11, 25)).work_minutes == {"prep": pytest.approx(37.5, abs=0.01)}


def test_week_bounds_must_be_aware_and_ordered(db):
    with db.transaction() as s:
        with pytest.raises(ValueError):
            week_data(s, "T1", "U1", WEEK_START.replace(tzinfo=None), WEEK_END, AMS)
        with pytest.raises(ValueError):
            week_data(s, "T1", "U1", WEEK_END, WEEK_START, AMS)


# -- render_week_chart -------------------------------------------------------------------------------------------

EMPTY = WeekData(MONDAY, dt.date(2026, 11, 29), tuple(DayFigures(MONDAY + dt.timedelta(days=i)) for i in range(5)))
BUSY = WeekData(
    MONDAY,
    dt.date(2026, 11, 29),
    (
        DayFigures(MONDAY, {"email": 45, "research": 60, "admin": 30}, 32, 3, 40),
        DayFigures(MONDAY + dt.timedelta(days=1), {"email": 20, "admin": 95, "meeting": 60}, 18, 2, 25),
        DayFigures(MONDAY + dt.timedelta(days=2), {"research": 90, "prep": 30}, 41, 6, 50),
        DayFigures(MONDAY + dt.timedelta(days=3), {"email": 30, "admin": 20, "meeting": 120}, 12, 0, 20),
        DayFigures(MONDAY + dt.timedelta(days=4), {}, 0, 0, 0),
        DayFigures(MONDAY + dt.timedelta(days=5), {"admin": 15}, 3, 3, 4),
        DayFigures(MONDAY + dt.timedelta(days=6)),
    ),
    lead_attempts=LeadAttempts(leads=37, attempts=90),
)
# Far beyond the usual: many dials, every dial a conversation, more attempts than the target.
EXTREME = WeekData(
    MONDAY,
    dt.date(2026, 11, 29),
    tuple(DayFigures(MONDAY + dt.timedelta(days=i), {"admin": 600}, 900, 900, 900) for i in range(5)),
    lead_attempts=LeadAttempts(leads=1, attempts=14),
)


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("data", [EMPTY, BUSY, EXTREME], ids=["empty", "busy", "extreme"])
def test_chart_is_a_1200_by_600_png(data, language):
    png = render_week_chart(data, language)
    assert png_size(png) == (1200, 600)
    assert len(png) > 10_000  # drawn, not blank


def test_languages_draw_differently():
    assert render_week_chart(BUSY, "en") != render_week_chart(BUSY, "nl")


def test_chart_of_a_week_read_from_the_database(busy_week):
    with busy_week.transaction() as s:
        data = week_data(s, "T1", "U1", WEEK_START, WEEK_END, AMS)
    for language in ("en", "nl"):
        assert png_size(render_week_chart(data, language)) == (1200, 600)


def test_charts_render_in_parallel_threads():
    serial = render_week_chart(BUSY, "nl")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda lang: render_week_chart(BUSY, lang), ["nl", "en", "nl", "en"]))
    assert results[0] == results[2] == serial
    assert results[1] == results[3]


# -- no label overlaps another -----------------------------------------------------------------------------------

# Seven busy days with every kind of work, four-digit dials and rates a point apart: the widest labels side by side.
CROWDED = WeekData(
    MONDAY,
    dt.date(2026, 11, 29),
    tuple(
        DayFigures(
            MONDAY + dt.timedelta(days=i),
            {"email": 45 + i * 30, "research": 300, "admin": 200, "meeting": 120, "prep": 90},
            1000 + i * 111,
            (1000 + i * 111) // 3 + i,
            10,
        )
        for i in range(7)
    ),
    lead_attempts=LeadAttempts(leads=1234, attempts=12345),
)
# Every day's connect rate right on the average, where the average's label used to sit.
ON_AVERAGE = WeekData(
    MONDAY,
    dt.date(2026, 11, 29),
    tuple(DayFigures(MONDAY + dt.timedelta(days=i), {"admin": 30}, 1000 + i, 54 + i, 10) for i in range(5)),
    lead_attempts=LeadAttempts(leads=1, attempts=1),
)


def drawn_labels(fig):
    """Every piece of text the chart draws, with its box in pixels: tick labels only for ticks inside the view."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    not_drawn = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            slack = (high - low) * 1e-6
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - slack <= tick.get_loc() <= high + slack:
                    not_drawn.update((id(tick.label1), id(tick.label2)))
    labels = []
    for text in fig.findobj(Text):
        if id(text) in not_drawn or not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        if box.width > 0 and box.height > 0:
            labels.append((text.get_text(), box))
    return labels


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize(
    "data", [EMPTY, BUSY, EXTREME, CROWDED, ON_AVERAGE], ids=["empty", "busy", "extreme", "crowded", "on_average"]
)
def test_no_label_overlaps_another_or_leaves_the_picture(data, language):
    fig = week_figure(data, language)
    labels = drawn_labels(fig)
    assert len(labels) > 20  # titles, ticks, legend, values, captions: measured, not skipped
    width, height = fig.canvas.get_width_height()
    for text, box in labels:
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, text
    overlapping = [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(labels, 2) if box_a.overlaps(box_b)]
    assert overlapping == []


def test_the_overlap_check_sees_overlapping_labels():
    fig = week_figure(BUSY, "en")
    fig.axes[0].text(0.5, 0.5, "on top", transform=fig.axes[0].transAxes)
    fig.axes[0].text(0.5, 0.5, "of each other", transform=fig.axes[0].transAxes)
    texts_ = [text for text, _ in drawn_labels(fig)]
    boxes = dict(drawn_labels(fig))
    assert "on top" in texts_ and boxes["on top"].overlaps(boxes["of each other"])
