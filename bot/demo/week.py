"""The scripted week: a Dutch rep, an English rep, a rep in New York and their manager, 23 to 30 November 2026.

Each step moves the simulated clock to the moment it happens; on the way the real sweep job runs every 15
minutes of the working day (every hour at night, every two hours at the weekend), as `salescoach clock` would every
20 seconds. After each step the demo notes what must have arrived (`Expect`); at the end of each day it checks
that day's expectations and prints them with the day's count of messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.demo.harness import DemoBot, DemoError
from bot.demo.observed import BOT_KINDS, Event, Expect, Kind, first_name, messages, name_of, zone_of
from bot.demo.terminal import Printer, event_lines
from bot.storage.models import Nudge

AMS, LON, NY = ZoneInfo("Europe/Amsterdam"), ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
LIST_MARK = "list_line:"  # the block id of a line of the day's follow-up list (bot.slack.blockkit.followup_line)
BUDGET = 4  # notifying DMs a rep gets a working day: the team's default (coaching.daylist)
ANOUK, SAM, PETRA, JORDAN, SALES = "U0ANOUK", "U0SAM", "U0PETRA", "U0JORDAN", "C0SALES"
INTL = "C0INTL"  # #sales-international: English posts in a Dutch team
START = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)  # Monday, before anyone's working day
END = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)  # the next Monday, 11:00 in Amsterdam, 10:00 in London
BLITZ = (
    "Brightline Ltd", "Cobalt Systems", "Dunmore & Co", "Eastfield Logistics", "Fairway Foods", "Granite Partners",
    "Harbour Health", "Ironbridge Tools", "Juniper Labs", "Kestrel Aviation", "Lakeside Dental", "Meridian Print",
    "Northwind Traders", "Oakridge Homes", "Pinnacle Fitness", "Quayside Media", "Redwood Legal", "Silverline Taxis",
    "Thornbury Farms", "Upland Outdoor", "Vantage Optics", "Westgate Motors", "Yarrow Gardens", "Zenith Cleaning",
    "Ashford Books",
)  # fmt: skip


def ams(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock moment in Amsterdam in the demo week (`day` of November 2026)."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=AMS).astimezone(dt.UTC)


def lon(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock moment in London in the demo week."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=LON).astimezone(dt.UTC)


def ny(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock moment in New York in the demo week."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=NY).astimezone(dt.UTC)


def date(day: int) -> dt.date:
    """A day of November 2026."""
    return dt.date(2026, 11, day)


def sweep_step(at: dt.datetime) -> dt.timedelta:
    """How often the demo sweeps around `at`: every 15 minutes in the working day, less often otherwise."""
    if at.weekday() >= 5:
        return dt.timedelta(hours=2)
    if 7 <= at.hour < 18:
        return dt.timedelta(minutes=15)
    return dt.timedelta(hours=1)


def next_sweep(after: dt.datetime) -> dt.datetime:
    """The first sweep instant strictly after `after`, on the grid of `sweep_step`."""
    step = sweep_step(after)
    midnight = after.replace(hour=0, minute=0, second=0, microsecond=0)
    passed = (after - midnight) // step
    return midnight + (passed + 1) * step


@dataclass
class DayLog:
    """What one simulated day did."""

    day: dt.date
    messages: int = 0
    sweeps: int = 0
    checked: int = 0
    failures: list[str] = field(default_factory=list)


class Week:
    """Drives the bot through the week, prints the transcript and keeps the expectations."""

    def __init__(self, bot: DemoBot, printer: Printer) -> None:
        self.bot = bot
        self.printer = printer
        self.expectations: list[Expect] = []
        self.failures: list[str] = []  # steps that could not be done (a message to click never arrived)
        self.days: list[DayLog] = []
        self.sweeps = 0
        self._counting = False  # inside `off_hours`: the sweeps are counted for its summary line
        self._quiet_sweeps = self._quiet_deferred = 0
        self._quiet_events: list[Event] = []

    @property
    def events(self) -> list[Event]:
        """Everything seen and done so far."""
        return self.bot.events

    @property
    def today(self) -> DayLog:
        """The day in progress."""
        return self.days[-1]

    # -- time ---------------------------------------------------------------------------------------------------

    def at(self, when: dt.datetime) -> None:
        """Move the clock to `when`, running every sweep due on the way and showing what it sent."""
        while (nxt := next_sweep(self.bot.clock())) <= when:
            report, events = self.bot.sweep(nxt)
            self.sweeps += 1
            if self.days:
                self.today.sweeps += 1
            if self._counting:
                self._quiet_sweeps += 1
                self._quiet_deferred += report.deferred
                self._quiet_events += events
            self.printer.events(events)
        self.bot.clock.set(when)

    def off_hours(self, until: dt.datetime, why: str) -> None:
        """Run the sweeps of a night or a weekend and report that they sent nothing."""
        start = self.bot.clock()
        self._counting, self._quiet_sweeps, self._quiet_deferred, self._quiet_events = True, 0, 0, []
        try:
            self.at(until)
        finally:
            self._counting = False
        waiting = self.pending_followups()
        sent = [e for e in self._quiet_events if e.kind in BOT_KINDS]
        first, last = start.astimezone(AMS), until.astimezone(AMS)
        span = f"{first:%a %H:%M} → {last:%a %H:%M} Amsterdam time"
        result = "nothing sent" if not sent else f"{len(sent)} message(s) sent!"
        if self._quiet_deferred:
            result += f", {self._quiet_deferred} deferred to working hours"
        line = (
            f"  ☾ {why}, {span}: {self._quiet_sweeps} sweeps, {result}; "
            f"{waiting} follow-up reminder{'s' if waiting != 1 else ''} pending"
        )
        self.printer.line(line, styled=self.printer.style.dim(line))

    def sync_crm(self, when: dt.datetime, why: str) -> None:
        """At `when`, the clock's HubSpot job runs once (every five minutes in `salescoach clock`)."""
        self.at(when)
        line = f"  ⇄ HubSpot sync ({why}): {self.bot.sync_crm(when)}"
        self.printer.line(line, styled=self.printer.style.dim(line))

    def in_hubspot(self, when: dt.datetime, user: str, lead: str, disposition: str, note: str) -> None:
        """At `when`, `user` logs a call in HubSpot itself (not in Slack), on the company `lead`."""
        self.at(when)
        portal = self.bot.hubspot.portal
        company = next(r.id for r in portal.live("companies") if r.properties.get("name") == lead)
        label = next(d["id"] for d in portal.dispositions if d["label"] == disposition)
        portal.log_call(self.bot.owners[user], label, when, associate=company, hs_call_body=f"<p>{note}</p>")
        line = f"{name_of(user):<15} ▸ logs a call in HubSpot: {lead}, {disposition}, “{note}”"
        self.printer.line(line)

    def night(self, until: dt.datetime, why: str) -> None:
        """The rest of the working day (18:00 UTC: 19:00 in Amsterdam, 18:00 in London), then the night's sweeps."""
        now = self.bot.clock()
        self.at(max(now, now.replace(hour=18, minute=0, second=0, microsecond=0)))
        self.off_hours(until, why)

    def pending_followups(self) -> int:
        """Follow-up reminders written but not yet due or sent."""
        with self.bot.runtime.db.read() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(Nudge).where(Nudge.kind == "followup", Nudge.status == "pending")
                )
                or 0
            )

    # -- days ---------------------------------------------------------------------------------------------------

    @contextmanager
    def day(self, day: int, number: int, total: int) -> Iterator[DayLog]:
        """A simulated day: a heading, the day's steps, then its messages and expectations."""
        log = DayLog(date(day))
        self.days.append(log)
        self.printer.line()
        self.printer.heading(f"[{number}/{total}] {log.day:%A %d %B %Y}")
        yield log
        due = [x for x in self.expectations if x.day == log.day]
        results = [(x, x.failure(self.events)) for x in due] + self._budget(log.day)
        log.failures = [failure for _, failure in results if failure]
        log.checked = len(results)
        log.messages = messages(e for e in self.events if e.at.astimezone(AMS).date() == log.day)
        met = [x.what for x, failure in results if failure is None]
        if met:
            for line in self.printer.wrap("checked: ✓ " + " ✓ ".join(met), "  "):
                self.printer.line(line, styled=self.printer.style.dim(line))
        for failure in log.failures:
            self._problem(failure, record=False)
        summary = f"{log.day:%a %d %b} ▸ {log.messages} messages from the bot, {log.sweeps} sweeps"
        if due:
            met = log.checked - len(log.failures)
            summary += f" · {met}/{log.checked} expected messages arrived"
        mark = "✓" if not log.failures else "✗"
        styled = (self.printer.style.good if not log.failures else self.printer.style.bad)(f"{mark} {summary}")
        self.printer.line(f"{mark} {summary}", styled=styled)

    def _budget(self, day: dt.date) -> list[tuple[Expect, str | None]]:
        """Each rep's notifying DMs of the day against the budget: checked like any expectation."""
        results = []
        for rep in (ANOUK, SAM):
            sent = sum(
                1
                for e in self.events
                if e.kind == Kind.DM and e.viewer == rep and e.at.astimezone(zone_of(rep)).date() == day
            )
            what = f"{first_name(rep)}: {sent} notifying DM{'s' if sent != 1 else ''}, budget {BUDGET}"
            failure = None if sent <= BUDGET else f"{what}: over the budget on {day:%a %d %b}"
            results.append((Expect(what, Kind.DM, rep, (), day=day), failure))
        return results

    # -- acting -------------------------------------------------------------------------------------------------

    def _problem(self, text: str, *, record: bool = True) -> None:
        """Print a problem in the transcript (and keep it, for a step that could not be done)."""
        if record:
            self.failures.append(text)
        self.printer.line(f"  ✗ {text}", styled=self.printer.style.bad(f"  ✗ {text}"))

    def slash(self, when: dt.datetime, user: str, command: str, text: str = "", channel: str | None = None) -> None:
        """At `when`, `user` types a slash command (in their DM with the bot unless `channel` says otherwise)."""
        self.at(when)
        try:
            self.printer.events(self.bot.slash(user, command, text, channel))
        except DemoError as err:
            self._problem(str(err))

    def call(self, when: dt.datetime, user: str, text: str) -> None:
        """At `when`, `user` logs a call with `/call`."""
        self.slash(when, user, "/call", text)

    def message(self, kind: str, viewer: str, *contains: str) -> Event | None:
        """The latest message of `kind` to `viewer` holding every string of `contains`."""
        for event in reversed(self.events):
            text = event.text.casefold()
            if event.kind == kind and event.viewer == viewer and all(c.casefold() in text for c in contains):
                return event
        return None

    def click(self, when: dt.datetime, user: str, label: str, *on: str, kind: str = Kind.DM) -> None:
        """At `when`, `user` clicks `label` on the latest message to them holding `on`."""
        self.at(when)
        message = self.message(kind, user, *on)
        if message is None:
            self._problem(f"{name_of(user)} could not click [{label}]: no message with {' '.join(on)!r} arrived")
            return
        try:
            self.printer.events(self.bot.click(user, message, label))
        except DemoError as err:
            self._problem(str(err))

    def page_to(self, when: dt.datetime, user: str, lead: str) -> None:
        """From `when`, `user` turns the pages of follow-ups on their App Home until `lead` shows (a minute a page)."""
        for page in range(10):
            home = self.message(Kind.HOME, user)
            lines = [str((b.get("text") or {}).get("text", "")) for b in (home.blocks if home else [])]
            if home is None or any(line.startswith(f"*{lead}*") for line in lines):
                return
            self.click(when + dt.timedelta(minutes=page), user, "Next", kind=Kind.HOME)

    def click_line(self, when: dt.datetime, user: str, label: str, lead: str, kind: str | None = None) -> None:
        """At `when`, `user` clicks `label` on `lead`'s line of their follow-up list, as it stands (sent or updated).

        With `kind` Kind.HOME, on `lead`'s line of their App Home.
        """
        self.at(when)
        message = None
        for event in reversed(self.events):
            if kind is not None and event.viewer == user and event.kind == kind:
                message = event
                break
            if (
                kind is None
                and event.viewer == user
                and event.kind in (Kind.DM, Kind.UPDATE)
                and LIST_MARK in str(event.blocks)
            ):
                message = event
                break
        if message is None or lead not in message.text:
            self._problem(f"{name_of(user)} could not click [{label}]: {lead} is in no follow-up list")
            return
        try:
            self.printer.events(self.bot.click(user, message, label, line=lead))
        except DemoError as err:
            self._problem(str(err))

    def open_home(self, when: dt.datetime, user: str) -> None:
        """At `when`, `user` opens the App Home tab."""
        self.at(when)
        try:
            self.printer.events(self.bot.open_home(user))
        except DemoError as err:
            self._problem(str(err))

    def expect(self, what: str, kind: str, viewer: str, *contains: str, **narrow: object) -> None:
        """Note a message that must arrive today (unless `day` says otherwise); checked at the end of the day."""
        narrow.setdefault("day", self.today.day)
        self.expectations.append(Expect(what, kind, viewer, tuple(contains), **narrow))  # type: ignore[arg-type]

    def blitz(self, user: str, start: dt.datetime, leads: tuple[str, ...], every: dt.timedelta, outcome: str) -> None:
        """A run of calls, summarised: the first call and every confirmation carrying a tip are shown."""
        shown_first = False
        hidden: list[Event] = []
        for i, lead in enumerate(leads):
            when = start + i * every
            if hidden and next_sweep(self.bot.clock()) <= when:
                self._summarise(hidden)  # before whatever the sweeps on the way send
                hidden = []
            self.at(when)
            try:
                events = self.bot.slash(user, "/call", f"{lead} {outcome}")
            except DemoError as err:
                self._problem(str(err))
                continue
            reply = next((e for e in events if e.kind == Kind.EPHEMERAL), None)
            # A plain confirmation is two lines (the call, the next attempt); anything more or else is shown.
            plain = reply is not None and len(event_lines(reply, self.printer.plain)) == 2
            if not shown_first or not plain:
                if hidden:
                    self._summarise(hidden)
                    hidden = []
                self.printer.events(events)
                shown_first = True
            else:
                hidden += [e for e in events if e.kind == Kind.COMMAND]
                self.printer.events([e for e in events if e.kind not in (Kind.COMMAND, Kind.EPHEMERAL)])
        if hidden:
            self._summarise(hidden)

    def _summarise(self, commands: list[Event]) -> None:
        first, last = commands[0].local, commands[-1].local
        names = ", ".join(c.label.removeprefix("/call ").rsplit(" ", 1)[0] for c in commands)
        span = f"{first:%H:%M}" if first == last else f"{first:%H:%M}–{last:%H:%M}"
        calls = "1 more call" if len(commands) == 1 else f"{len(commands)} more calls"
        text = (
            f"… {span} {first:%Z}: {first_name(commands[0].actor or '')} logs {calls} the same way, "
            f"each confirmed with its next attempt: {names}"
        )
        for line in self.printer.wrap(text, "  "):
            self.printer.line(line, styled=self.printer.style.dim(line))


def play(week: Week) -> None:
    """The week itself."""
    total = 8
    week.bot.clock.set(START)

    # -- Monday: the first calls, a typo, the channel subscribed ---------------------------------------------------
    with week.day(23, 1, total):
        week.sync_crm(ams(23, 9, 0), "the team's HubSpot connects from HUBSPOT_ACCESS_TOKEN")
        week.slash(ams(23, 9, 2), PETRA, "/leaderboard", "subscribe", channel=SALES)
        week.slash(ams(23, 9, 3), PETRA, "/leaderboard", "subscribe weekly en", channel=INTL)
        week.expect("#sales-international subscribed in English", Kind.EPHEMERAL, PETRA, "in het Engels")
        for when, who, call in (
            (ams(23, 9, 10), ANOUK, "Bakkerij Jansen geen-gehoor"),
            (ams(23, 9, 25), ANOUK, "Hoogendijk & Zn. afspraak +onderzocht +beslisser"),
            (ams(23, 9, 40), ANOUK, "Van Dijk Installatietechniek ingesproken"),
            (ams(23, 10, 5), ANOUK, "Bloemenhuis Flora receptie +onderzocht"),
            (lon(23, 9, 30), SAM, "Acme BV no-answer"),
            (lon(23, 9, 35), SAM, "Initech meeting +research +dm demo booked for Tuesday"),
            (lon(23, 9, 40), SAM, "Globex voicemail"),
            (lon(23, 9, 46), SAM, "Zeta Corp blorp"),
            (lon(23, 9, 47), SAM, "Zeta Corp busy"),
        ):
            week.call(when, who, call)
        # What the answers to those must have said (every expectation is checked when the day ends).
        week.expect("Petra's subscription of #sales", Kind.EPHEMERAL, PETRA, "aangemeld", "vr om 16:00", day=date(23))
        week.expect("Anouk's call confirmed in Dutch", Kind.EPHEMERAL, ANOUK, "Bakkerij Jansen", "Volgende poging")
        week.expect("Anouk's meeting, '&' intact", Kind.EPHEMERAL, ANOUK, "Hoogendijk & Zn.", "afspraak gemaakt")
        week.expect("the research tip (M102) in Dutch", Kind.EPHEMERAL, ANOUK, "zonder onderzoek", day=date(23))
        week.expect("Sam's call confirmed", Kind.EPHEMERAL, SAM, "Acme BV", "Next attempt: tomorrow at 09:30")
        week.expect("Sam's meeting with its note", Kind.EPHEMERAL, SAM, "Initech", "demo booked for Tuesday")
        week.expect("the research tip (M102) in English", Kind.EPHEMERAL, SAM, "without research", day=date(23))
        week.expect("the helpful error for a typo", Kind.EPHEMERAL, SAM, "`blorp`", "Valid outcomes", "Example")
        week.slash(lon(23, 12, 30), SAM, "/break", "30")
        week.expect("Sam's lunch break", Kind.EPHEMERAL, SAM, "30-minute break")
        week.slash(lon(23, 14, 0), SAM, "/log", "research 45 prospect list for tomorrow")
        week.expect("Sam's research logged", Kind.EPHEMERAL, SAM, "45 min of research")
        week.night(ams(24, 8, 0), "Monday night")

    # -- Tuesday: the day's follow-up lists arrive and get clicked; Sam's call blitz earns a break ---------------
    with week.day(24, 2, total):
        week.expect("Anouk's follow-up list, one DM at the start of her day", Kind.DM, ANOUK,
                    "Je opvolgingen voor di 24 nov", "Bakkerij Jansen", "Van Dijk", "Bloemenhuis Flora",
                    "poging 2 van 6",
                    day=date(24), after=dt.time(9), before=dt.time(9, 15))  # fmt: skip
        week.click_line(ams(24, 9, 20), ANOUK, "Geen gehoor", "Bakkerij Jansen")
        week.expect("attempt 2 on Bakkerij Jansen logged in its line of the list", Kind.UPDATE, ANOUK,
                    "Poging 2 bij", "Bakkerij Jansen", "1 van 3 gedaan")  # fmt: skip
        week.click_line(ams(24, 9, 50), ANOUK, "Morgen", "Van Dijk Installatietechniek")
        week.expect("Van Dijk snoozed to the next business day", Kind.UPDATE, ANOUK, "Uitgesteld", "Van Dijk")
        week.click_line(ams(24, 10, 20), ANOUK, "Afspraak gemaakt", "Bloemenhuis Flora")
        week.expect("a meeting from a line of the list", Kind.UPDATE, ANOUK, "Bloemenhuis Flora", "afspraak gemaakt",
                    "alle 3 gedaan")  # fmt: skip
        week.expect("Sam's follow-up list", Kind.DM, SAM, "Your follow-ups for Tue 24 Nov", "Acme BV", "attempt 2 of 6",
                    "last: no answer", "0 of 3 done", day=date(24), before=dt.time(9, 15))  # fmt: skip
        week.click_line(lon(24, 9, 33), SAM, "Snooze 1 hour", "Acme BV")
        week.expect("Acme BV snoozed for an hour", Kind.UPDATE, SAM, "Snoozed", "Acme BV", "today at 10:33")
        week.click_line(lon(24, 9, 48), SAM, "Reached", "Globex")
        week.click_line(lon(24, 10, 1), SAM, "Tomorrow", "Zeta Corp")
        week.blitz(SAM, lon(24, 10, 4), BLITZ[:10], dt.timedelta(minutes=4), "no-answer")
        week.expect("every blitz call confirmed", Kind.EPHEMERAL, SAM, "Logged a call to", "no answer", count=25)
        week.expect("Acme BV's line open again after the snooze, in the same list", Kind.UPDATE, SAM, "Acme BV",
                    "attempt 2 of 6", "2 of 3 done", day=date(24), after=dt.time(10, 33))  # fmt: skip
        week.click_line(lon(24, 10, 46), SAM, "No answer", "Acme BV")
        week.blitz(SAM, lon(24, 10, 48), BLITZ[10:], dt.timedelta(minutes=4), "no-answer")  # until 11:44
        week.expect("the connect-rate tip (M101) in a call confirmation", Kind.EPHEMERAL, SAM,
                    "of your dials became a conversation today", day=date(24))  # fmt: skip
        week.expect("the break DM after 90+ minutes of calling", Kind.DM, SAM, "without a break", day=date(24))
        week.click(lon(24, 11, 46), SAM, "Start a 10-minute break", "without a break")
        week.expect("the break started from the DM", Kind.UPDATE, SAM, "Break started", day=date(24))
        week.night(ams(25, 8, 0), "Tuesday night")

    # -- Wednesday: a focus block holds Anouk's list; Sam's heavy day is one list; scorecards in both languages -----
    with week.day(25, 3, total):
        week.slash(ams(25, 8, 55), ANOUK, "/focus", "bellen 60")
        week.expect("Anouk's focus block started", Kind.EPHEMERAL, ANOUK, "Focusblok", "09:55", day=date(25))
        week.call(ams(25, 9, 5), ANOUK, "Kaasboerderij De Hoeve bereikt +onderzocht +beslisser")
        week.call(ams(25, 9, 22), ANOUK, "Drukkerij Peters geen-gehoor +onderzocht")
        week.slash(ams(25, 9, 35), ANOUK, "/log", "email 5 offerte nagestuurd")
        week.call(ams(25, 9, 41), ANOUK, "Gemeente Utrecht afspraak +onderzocht +beslisser demo op 3 december")
        week.expect("no DM for Anouk during her focus block", Kind.DM, ANOUK,
                    day=date(25), before=dt.time(9, 55), count=0, exactly=True)  # fmt: skip
        week.expect("Anouk's list, held until the block ended, with the block's summary in it", Kind.DM, ANOUK,
                    "Bakkerij Jansen", "poging 3 van 6", "Van Dijk", "Meegestuurd met deze lijst", "focusblok",
                    "In het blok: 3 belpogingen", day=date(25), after=dt.time(9, 55),
                    before=dt.time(10, 15))  # fmt: skip
        week.expect("one buzz, not two, when the block ends", Kind.DM, ANOUK,
                    day=date(25), after=dt.time(9, 55), before=dt.time(10, 15), count=1, exactly=True)  # fmt: skip
        week.click_line(ams(25, 10, 5), ANOUK, "Bereikt", "Bakkerij Jansen")
        week.click_line(ams(25, 10, 7), ANOUK, "Geen gehoor", "Van Dijk Installatietechniek")
        week.expect("Sam's 27 follow-ups for yesterday's blitz and more in one list, the rest on his Home", Kind.DM,
                    SAM, "Your follow-ups for Wed 25 Nov", "0 of 27 done", "more on your App Home",
                    day=date(25), before=dt.time(9, 15))  # fmt: skip
        week.expect("no follow-up DM of its own for Sam all day", Kind.DM, SAM, "attempt 2 of 6",
                    day=date(25), count=1, exactly=True)  # fmt: skip
        week.click_line(lon(25, 10, 32), SAM, "Meeting booked", BLITZ[3])
        week.expect("a meeting booked on a blitz lead, in its line", Kind.UPDATE, SAM, BLITZ[3], "meeting booked",
                    "1 of 27 done")  # fmt: skip
        week.click_line(lon(25, 10, 50), SAM, "bought elsewhere", BLITZ[9])
        week.expect("a lead stopped from its line, saying why", Kind.UPDATE, SAM, "Stopped following up", BLITZ[9],
                    "bought elsewhere", "doesn't count as dropped early")  # fmt: skip
        week.click_line(lon(25, 11, 0), SAM, "Tomorrow", "Acme BV")
        week.in_hubspot(ams(25, 12, 10), ANOUK, "Kaasboerderij De Hoeve", "Connected", "Offerte besproken")
        week.sync_crm(ams(25, 12, 15), "calls logged in HubSpot come in")
        week.slash(ams(25, 12, 30), ANOUK, "/pauze", "30")
        week.slash(ams(25, 14, 0), ANOUK, "/log", "admin 30 CRM bijwerken")
        week.slash(ams(25, 14, 5), ANOUK, "/coach")
        week.expect("Anouk's scorecard in Dutch", Kind.EPHEMERAL, ANOUK, "Kwaliteit boven kwantiteit", day=date(25))
        week.expect("her call logged in HubSpot, counted on her scorecard", Kind.EPHEMERAL, ANOUK,
                    "uit HubSpot voor je zijn gelogd: 1 vandaag", day=date(25))  # fmt: skip
        week.slash(lon(25, 14, 0), SAM, "/log", "admin 30 CRM updates")
        week.slash(lon(25, 14, 5), SAM, "/coach")
        week.expect("Sam's scorecard in English", Kind.EPHEMERAL, SAM, "Quality beats quantity", day=date(25))
        week.slash(lon(25, 14, 10), SAM, "/coach", "rules")
        week.expect("the coaching rules", Kind.EPHEMERAL, SAM, "M101", "M501", day=date(25))
        # Jordan works from New York: tomorrow is Thanksgiving there, so his next attempt waits for Friday.
        week.call(ny(25, 10, 0), JORDAN, "Hudson Freight no-answer +research")
        week.expect("Jordan's next attempt skips Thanksgiving", Kind.EPHEMERAL, JORDAN, "Hudson Freight", "Fri",
                    day=date(25))  # fmt: skip
        week.night(ams(26, 8, 0), "Wednesday night")

    # -- Thursday: yesterday's open follow-ups roll into today's list; lead cards before the calls --------------
    with week.day(26, 4, total):
        week.call(ams(26, 9, 20), ANOUK, "Stadsbakkerij Noord geen-gehoor +onderzocht")
        week.click_line(ams(26, 9, 35), ANOUK, "Afspraak gemaakt", "Drukkerij Peters")
        week.expect("Sam's list: yesterday's open ones marked, the rest on his Home", Kind.DM, SAM,
                    "Your follow-ups for Thu 26 Nov", "still open since Wed", "more on your App Home",
                    day=date(26), after=dt.time(9), before=dt.time(9, 15))  # fmt: skip
        # Acme BV, snoozed to today at 11:00, is the least overdue: beyond the list's room, on his Home's pages.
        week.open_home(lon(26, 9, 5), SAM)
        week.page_to(lon(26, 9, 6), SAM, "Acme BV")
        week.expect("every open follow-up reachable on the Home, page by page", Kind.HOME, SAM, "Acme BV",
                    "attempt 3 of 6", "open follow-ups", day=date(26))  # fmt: skip
        week.click_line(lon(26, 9, 10), SAM, "Reached", "Acme BV", kind=Kind.HOME)
        # Before the next call, Sam opens the lead card from a line of his list: what the team knows so far.
        week.click_line(lon(26, 9, 12), SAM, "Lead card", "Zeta Corp")
        week.expect("Sam's lead card for Zeta Corp before the call", Kind.EPHEMERAL, SAM, "Lead card: Zeta Corp",
                    "Calls, newest first", "busy, you", "Next attempt", day=date(26))  # fmt: skip
        week.call(lon(26, 9, 30), SAM, "Umbrella Corp connected +research +dm")
        week.call(lon(26, 9, 45), SAM, "Stark Industries gatekeeper +research")
        week.call(lon(26, 10, 0), SAM, "Wayne Enterprises meeting +research +dm pilot for 20 seats")
        week.slash(ams(26, 11, 15), ANOUK, "/lead", "van dijk")  # found by part of its name
        week.expect("Anouk's lead card for Van Dijk, in Dutch", Kind.EPHEMERAL, ANOUK,
                    "Leadkaart: Van Dijk Installatietechniek", "Belpogingen, nieuwste eerst", day=date(26))  # fmt: skip
        week.click_line(ams(26, 11, 20), ANOUK, "Geen gehoor", "Van Dijk Installatietechniek")
        week.expect("Van Dijk's third attempt logged", Kind.UPDATE, ANOUK, "Poging 3 bij", "Van Dijk")
        week.call(ams(26, 11, 40), ANOUK, "Fietsenmaker De Ketting geen-gehoor +onderzocht")
        week.call(ams(26, 11, 55), ANOUK, "Tandartspraktijk Smile bezet +onderzocht")
        week.call(ams(26, 12, 10), ANOUK, "Hotel De Gouden Leeuw bereikt +onderzocht +beslisser")
        week.call(lon(26, 17, 40), SAM, "Late Night Ltd voicemail")
        week.expect("a call after hours is still confirmed", Kind.EPHEMERAL, SAM, "Late Night Ltd", day=date(26))
        week.expect("no nudge for Jordan on Thanksgiving, a public holiday in the US", Kind.DM, JORDAN,
                    day=date(26), count=0, exactly=True)  # fmt: skip
        week.night(ams(27, 8, 0), "Thursday night")

    # -- Friday: App Home with the chart, a line back after a snooze, the leaderboard post -----------------------
    with week.day(27, 5, total):
        week.click_line(ams(27, 11, 45), ANOUK, "Morgen", "Fietsenmaker De Ketting")
        week.expect("a snooze to the next business day lands on Monday", Kind.UPDATE, ANOUK, "Fietsenmaker",
                    "ma 30 nov")  # fmt: skip
        week.click_line(ams(27, 12, 0), ANOUK, "Geen gehoor", "Tandartspraktijk Smile")
        week.click_line(lon(27, 13, 30), SAM, "Snooze 1 hour", BLITZ[0])
        week.expect("one short afternoon DM: a snoozed line is back in the list", Kind.DM, SAM,
                    "Due now in today's follow-up list: 1 follow-up", day=date(27), after=dt.time(14, 30))  # fmt: skip
        # The first Home of the day uploads the chart into the rep's DM (a file message there); Slack processes it
        # first, so the Home opened a little later shows it.
        week.open_home(lon(27, 14, 0), SAM)
        week.expect("Sam's week's chart, shared in his DM", Kind.FILE, SAM, day=date(27))
        week.open_home(lon(27, 14, 2), SAM)
        week.expect("Sam's App Home with his week's chart", Kind.HOME, SAM, "Your scorecard", "Your week", day=date(27))
        week.open_home(ams(27, 15, 30), ANOUK)
        week.open_home(ams(27, 15, 32), ANOUK)
        week.expect("Anouk's App Home in Dutch with her chart", Kind.HOME, ANOUK, "scorekaart", "Je week", day=date(27))
        week.open_home(ams(27, 15, 40), PETRA)  # a manager who makes no calls: the team first, no empty chart
        week.expect("Petra's App Home leads with the team", Kind.HOME, PETRA, "Je team deze week", "1. Anouk de Vries",
                    "zelf niets gelogd", day=date(27))  # fmt: skip
        week.expect("the Friday leaderboard post in #sales", Kind.POST, SALES, "Anouk de Vries", "Sam Carter",
                    "Gerangschikt op", day=date(27), after=dt.time(16), before=dt.time(16, 15))  # fmt: skip
        week.expect("the same post in English in #sales-international", Kind.POST, INTL, "Season final",
                    "Ranked by what calls", day=date(27), after=dt.time(16), before=dt.time(16, 15))  # fmt: skip
        week.slash(lon(27, 15, 20), SAM, "/leaderboard", "week")
        week.expect("Jordan's follow-up list the day after Thanksgiving, at the start of his day", Kind.DM, JORDAN,
                    "Your follow-ups for Fri 27 Nov", "Hudson Freight", "attempt 2 of 6",
                    day=date(27), after=dt.time(9), before=dt.time(9, 15))  # fmt: skip
        week.expect("Sam's own place on the board", Kind.EPHEMERAL, SAM, "You:", day=date(27))
        week.night(ams(28, 0, 0), "Friday night")

    # -- the weekend: sweeps run, nothing is sent ----------------------------------------------------------------------
    with week.day(28, 6, total):
        week.off_hours(ams(29, 0, 0), "Saturday")
    with week.day(29, 7, total):
        week.off_hours(ams(30, 8, 0), "Sunday")

    # -- Monday: the manager's digest; the weekend's reminders arrive --------------------------------------------------
    with week.day(30, 8, total):
        # The digest also counts the call logged in HubSpot apart from those logged by hand.
        week.expect("Petra's manager digest at 09:00", Kind.DM, PETRA, "Je team vorige week",
                    "Belpogingen automatisch uit HubSpot gelogd: 1",
                    day=date(30), after=dt.time(9), before=dt.time(9, 15))  # fmt: skip
        week.expect("Anouk's reminder snoozed on Friday", Kind.DM, ANOUK, "Fietsenmaker De Ketting",
                    day=date(30), after=dt.time(9), before=dt.time(9, 15))  # fmt: skip
        week.open_home(ams(30, 9, 20), PETRA)
        week.expect("Petra's App Home with the team's week", Kind.HOME, PETRA, "Je team deze week", day=date(30))
        week.at(END)
