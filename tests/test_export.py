"""CSV exports: exact content, quoting, the formula-injection guard, and no rows from another workspace."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from bot.storage.export import COLUMNS, TEAM_COLUMNS, neutralize, rep_csv, rep_csv_lines, team_csv, team_csv_lines
from bot.storage.models import Lead, Rep, Team
from tests.rows import activity

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
HEADER = ",".join(f'"{column}"' for column in COLUMNS) + "\r\n"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def add_rep(session, team: str, user: str, name: str | None, tz: str = "Europe/Amsterdam") -> None:
    if session.get(Team, team) is None:
        session.add(Team(id=team, name=team, settings={}, created_at=T0))
        session.flush()
    session.add(Rep(team_id=team, user_id=user, name=name, tz=tz, created_at=T0))
    session.flush()


def add_lead(session, team: str, name: str, owner: str = "U1") -> int:
    lead = Lead(team_id=team, key=name.casefold(), name=name, owner_id=owner, created_at=T0)
    session.add(lead)
    session.flush()
    return lead.id


@pytest.fixture
def data(db):
    with db.transaction() as s:
        add_rep(s, "T1", "U1", "Sam de Vries")
        add_rep(s, "T1", "U2", "=Eve", "America/New_York")
        add_rep(s, "T1", "U3", None)  # no activities: no rows
        add_rep(s, "T2", "U1", "Someone Else")  # the same user id in another workspace
        acme = add_lead(s, "T1", 'Acme "Holland" BV')
        bakker = add_lead(s, "T1", "Bakkerij Jansen, Zn.")
        other = add_lead(s, "T2", "Acme Elsewhere")
        s.add_all(
            [
                # Listed out of order: the export sorts by time.
                activity("T1", "U1", "work", utc(2026, 11, 23, 10, 0), 30, work="admin", note="CRM updates"),
                activity(
                    "T1",
                    "U1",
                    "call",
                    utc(2026, 11, 23, 9, 0),
                    outcome="meeting",
                    lead_id=acme,
                    attempt=2,
                    researched=True,
                    decision_maker=True,
                    note='demo Tuesday, "bring slides"\nsecond line',
                ),
                activity("T1", "U1", "call", utc(2026, 11, 23, 9, 5), outcome="no-answer", lead_id=bakker, attempt=1),
                activity("T1", "U1", "break", utc(2026, 11, 23, 11, 0), 10),
                activity("T1", "U1", "focus", utc(2026, 11, 23, 13, 0), 90, work="calls", note="=HYPERLINK(1)"),
                activity("T1", "U1", "work", utc(2026, 11, 23, 15, 0), 0.5, work="email", note="+31 6 1234"),
                activity("T1", "U2", "call", utc(2026, 11, 24, 3, 0), outcome="busy", lead_id=acme, attempt=3),
                activity("T1", "U2", "work", utc(2026, 11, 24, 14, 0), 45, work="prep", note="@mention -x"),
                activity("T2", "U1", "call", utc(2026, 11, 23, 9, 0), outcome="connected", lead_id=other, attempt=1),
                activity("T2", "U1", "work", utc(2026, 11, 23, 10, 0), 60, work="admin", note="SECRET OTHER TEAM"),
            ]
        )
    return db


SAM_ROWS = (
    '"2026-11-23T09:00:00+00:00","2026-11-23T10:00:00+01:00","Europe/Amsterdam","call",'
    '"Acme ""Holland"" BV","meeting","","","true","true","2","demo Tuesday, ""bring slides""\nsecond line"\r\n'
    '"2026-11-23T09:05:00+00:00","2026-11-23T10:05:00+01:00","Europe/Amsterdam","call",'
    '"Bakkerij Jansen, Zn.","no-answer","","","false","false","1",""\r\n'
    '"2026-11-23T10:00:00+00:00","2026-11-23T11:00:00+01:00","Europe/Amsterdam","work",'
    '"","","admin","30","","","","CRM updates"\r\n'
    '"2026-11-23T11:00:00+00:00","2026-11-23T12:00:00+01:00","Europe/Amsterdam","break","","","","10","","","",""\r\n'
    '"2026-11-23T13:00:00+00:00","2026-11-23T14:00:00+01:00","Europe/Amsterdam","focus",'
    '"","","calls","90","","","","\'=HYPERLINK(1)"\r\n'
    '"2026-11-23T15:00:00+00:00","2026-11-23T16:00:00+01:00","Europe/Amsterdam","work",'
    '"","","email","0.5","","","","\'+31 6 1234"\r\n'
)
EVE_ROWS = (
    '"2026-11-24T03:00:00+00:00","2026-11-23T22:00:00-05:00","America/New_York","call",'
    '"Acme ""Holland"" BV","busy","","","false","false","3",""\r\n'
    '"2026-11-24T14:00:00+00:00","2026-11-24T09:00:00-05:00","America/New_York","work",'
    '"","","prep","45","","","","\'@mention -x"\r\n'
)


def test_rep_csv_exact(data):
    with data.transaction() as s:
        text = rep_csv(s, "T1", "U1")
    assert text == HEADER + SAM_ROWS


def test_rep_csv_reads_back_with_the_csv_module(data):
    with data.transaction() as s:
        rows = list(csv.DictReader(io.StringIO(rep_csv(s, "T1", "U1"), newline="")))
    assert [r["kind"] for r in rows] == ["call", "call", "work", "break", "focus", "work"]
    assert rows[0]["lead"] == 'Acme "Holland" BV'
    assert rows[0]["note"] == 'demo Tuesday, "bring slides"\nsecond line'
    assert rows[1]["lead"] == "Bakkerij Jansen, Zn."
    assert rows[4]["note"] == "'=HYPERLINK(1)"


def test_rep_csv_never_shows_another_workspace(data):
    with data.transaction() as s:
        mine = rep_csv(s, "T1", "U1")
        theirs = rep_csv(s, "T2", "U1")
        nobody = rep_csv(s, "T3", "U1")
    assert "SECRET OTHER TEAM" not in mine and "Acme Elsewhere" not in mine
    assert theirs.count("\r\n") == 3 and "SECRET OTHER TEAM" in theirs and "Holland" not in theirs
    assert nobody == HEADER


def test_rep_without_activities_gets_only_the_header(data):
    with data.transaction() as s:
        assert rep_csv(s, "T1", "U3") == HEADER


def test_team_csv_holds_every_rep_of_that_team_only(data):
    with data.transaction() as s:
        text = team_csv(s, "T1")
    sam = "".join(f'"U1","Sam de Vries",{line}\r\n' for line in SAM_ROWS.split("\r\n")[:-1])
    eve = "".join(f'"U2","\'=Eve",{line}\r\n' for line in EVE_ROWS.split("\r\n")[:-1])
    assert text == ",".join(f'"{column}"' for column in TEAM_COLUMNS) + "\r\n" + sam + eve
    assert "SECRET OTHER TEAM" not in text and "Someone Else" not in text


def test_team_csv_of_the_other_workspace(data):
    with data.transaction() as s:
        rows = list(csv.DictReader(io.StringIO(team_csv(s, "T2"), newline="")))
    assert [(r["user_id"], r["rep_name"], r["lead"], r["note"]) for r in rows] == [
        ("U1", "Someone Else", "Acme Elsewhere", ""),
        ("U1", "Someone Else", "", "SECRET OTHER TEAM"),
    ]


def test_lines_stream_one_row_at_a_time(data):
    with data.transaction() as s:
        lines = list(rep_csv_lines(s, "T1", "U1"))
        team_lines = list(team_csv_lines(s, "T1"))
    assert len(lines) == 1 + 6  # the header, then one string per activity (a note may hold a newline)
    assert "".join(lines) == HEADER + SAM_ROWS
    assert len(team_lines) == 1 + 8


def test_many_rows_come_out_in_order(db):
    with db.transaction() as s:
        add_rep(s, "T1", "U1", "Sam")
        start = utc(2026, 11, 2, 8, 0)
        s.add_all(
            activity("T1", "U1", "work", start + dt.timedelta(minutes=i), 1, work="email", note=str(i))
            for i in reversed(range(2500))
        )
    with db.transaction() as s:
        rows = list(csv.DictReader(io.StringIO(rep_csv(s, "T1", "U1"), newline="")))
    assert [r["note"] for r in rows] == [str(i) for i in range(2500)]


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+31 6", "'+31 6"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("a=b", "a=b"),
        ("", ""),
        ("'quoted", "'quoted"),
    ],
)
def test_neutralize(cell, safe):
    assert neutralize(cell) == safe


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("x;=cmd|' /C calc'!A0", "x;'=cmd|' /C calc'!A0"),
        ("a, +1", "a, '+1"),
        ('b;"@SUM(1)', "b;\"'@SUM(1)"),
        ("c\t-2", "c\t'-2"),
        ("line\n=2", "line\n'=2"),
        ("=a;=b", "'=a;'=b"),
        ("Tuesday, bring slides - 2", "Tuesday, bring slides - 2"),
    ],
)
def test_neutralize_after_any_separator(cell, safe):
    assert neutralize(cell) == safe


FORMULAS = ("=", "+", "-", "@")


def test_no_cell_starts_a_formula_whichever_separator_a_spreadsheet_splits_on(db):
    """Excel in English splits on `,`, in Dutch on `;`: neither may find a cell that starts a formula."""
    notes = ["x;=cmd|' /C calc'!A0", "y,=1+1", 'z;"@SUM(A1)', "w\t+1", "v; -2", "ok"]
    with db.transaction() as s:
        add_rep(s, "T1", "U1", "Sam;=EVIL()")
        lead = add_lead(s, "T1", "Acme,=HYPERLINK(1)")
        s.add_all(
            activity("T1", "U1", "call", utc(2026, 11, 23, 9, i), outcome="busy", lead_id=lead, attempt=1, note=note)
            for i, note in enumerate(notes)
        )
    with db.transaction() as s:
        text = team_csv(s, "T1")
    for line in text.split("\r\n")[:-1]:
        assert line.startswith('"') and line.endswith('"')  # every field quoted
    for separator in (",", ";", "\t"):
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator):
            for cell in row:
                assert not cell.strip(' "').startswith(FORMULAS), (separator, cell)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["note"] for r in rows][:2] == ["x;'=cmd|' /C calc'!A0", "y,'=1+1"]
