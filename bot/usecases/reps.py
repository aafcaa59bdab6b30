"""Who a rep is: their name, time zone, working hours, language and cadence, as one `RepProfile`.

A rep's time zone and locale come from Slack's `users.info` and are kept in the database. A new rep costs one
Slack call before their first answer; a known rep costs none (a stale profile is refreshed in the background).
Every use case starts here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib.resources
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.slack.clients import Installations
from bot.storage.database import Database, insert_ignore
from bot.storage.models import Rep, Team
from coaching.cadence import CadenceSettings
from coaching.daylist import DEFAULT_BUDGET
from coaching.hours import WorkingHours, zone
from coaching.i18n import language_for
from coaching.seasons import PostSchedule
from coaching.settings import CoachSettings
from coaching.workdays import NO_HOLIDAYS, HolidayCalendar, country_of_locale

log = logging.getLogger(__name__)


PROFILE_MAX_AGE = dt.timedelta(days=1)
# Manager rights follow Slack: an admin or owner demoted in Slack loses them within this long.
RIGHTS_MAX_AGE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class RepProfile:
    """What the bot needs to know to talk to a rep and to time their nudges."""

    team_id: str
    user_id: str
    name: str
    tz_name: str
    language: str
    is_admin: bool
    hours: WorkingHours
    cadence: CadenceSettings
    away_until: dt.date | None
    team_settings: dict[str, Any]

    @property
    def tz(self) -> ZoneInfo:
        """The rep's IANA zone."""
        return zone(self.tz_name)

    @property
    def notify_budget(self) -> int:
        """The most notifying DMs the rep gets a working day (the team's setting; coaching.daylist)."""
        return int(self.team_settings.get("notify_budget") or DEFAULT_BUDGET)

    @property
    def coach_settings(self) -> CoachSettings:
        """The coaching thresholds, with the workspace's overrides."""
        overrides = self.team_settings.get("thresholds") or {}
        try:
            return _coach_settings(tuple(sorted(overrides.items())))
        except TypeError:  # an unhashable stored value: checked (and refused) the long way
            return CoachSettings().with_overrides(overrides)


@functools.lru_cache(maxsize=256)
def _coach_settings(overrides: tuple[tuple[str, Any], ...]) -> CoachSettings:
    # Checking every threshold is most of a profile's cost, and a workspace's overrides rarely change: kept per
    # distinct set of overrides (CoachSettings is frozen, so sharing one is safe).
    return CoachSettings().with_overrides(dict(overrides))


LANGUAGES = ("en", "nl")


def valid_settings(settings: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The stored team settings without the values that don't read back, and the names of those left out.

    Settings are checked field by field when saved; this keeps a value stored otherwise (by hand, or by an older
    bot) from breaking anything: it counts as unset, so its default applies.
    """
    checks: dict[str, Callable[[Any], object]] = {
        "work_hours": WorkingHours.from_dict,
        "tz": lambda value: ZoneInfo(str(value)),
        "cadence": CadenceSettings.from_dict,
        "leaderboard": PostSchedule.from_dict,
        "language": LANGUAGES.index,
        "country": lambda value: HolidayCalendar.parse(str(value)),
        "thresholds": lambda value: CoachSettings().with_overrides(dict(value)),
    }
    clean, reset = dict(settings), []
    for name, check in checks.items():
        if settings.get(name) is None:
            continue
        try:
            check(settings[name])
        except (ValueError, TypeError, KeyError, AttributeError, ZoneInfoNotFoundError):
            clean.pop(name)
            reset.append(name)
    return clean, reset


@functools.cache
def _zone_countries() -> dict[str, str]:
    # tzdata's zone.tab: the country of every zone ("NL\t+5222+00454\tEurope/Amsterdam").
    text = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {row[2]: row[0] for row in rows if len(row) >= 3}


def country_of_zone(name: str | None) -> str | None:
    """The country of an IANA zone (`Europe/Amsterdam` -> `NL`), None for UTC and other zones of no country."""
    return _zone_countries().get(name or "")


def team_calendar(
    settings: dict[str, Any], fallback_tz: str | None = None, locale: str | None = None
) -> HolidayCalendar:  # noqa: E501
    """The team's public holidays, from the first of these that names a country.

    The country managers set in `/coach settings`, the team's time zone (the managers'), `fallback_tz`, the Slack
    `locale`; a team none of those place in a country has weekends only.
    """
    code = settings.get("country") or country_of_zone(settings.get("tz")) or country_of_zone(fallback_tz)
    code = code or country_of_locale(locale)
    return _calendar(code)


def _calendar(code: str | None) -> HolidayCalendar:
    try:
        return HolidayCalendar.parse(code) if code else NO_HOLIDAYS
    except ValueError:
        return NO_HOLIDAYS  # a country `holidays` dropped since it was stored: weekends only, never a crash


def profile_of(rep: Any, team: Team) -> RepProfile:
    """A rep row and its workspace's settings as one profile."""
    return _profile(rep, team.settings)


def _profile(rep: Any, team_settings: dict[str, Any] | None) -> RepProfile:
    """A rep (a row, or anything with its columns) and its workspace's settings as one profile."""
    settings = team_settings or {}
    if settings:
        settings = valid_settings(settings)[0]
    own = rep.work_hours or {}
    # The rep's own country; else the one managers set for the team; else the country of the rep's own zone (a
    # rep in New York on an Amsterdam team has Thanksgiving off until told otherwise); else the team's default.
    code = own.get("country") or settings.get("country") or country_of_zone(rep.tz)
    calendar = _calendar(code) if code else team_calendar(settings, None, rep.locale)
    team_hours = dataclasses.replace(WorkingHours.from_dict(settings.get("work_hours")), holidays=calendar)
    return RepProfile(
        team_id=rep.team_id,
        user_id=rep.user_id,
        name=rep.name or rep.user_id,
        tz_name=rep.tz,
        language=language_for(rep.locale, rep.language or settings.get("language")),
        is_admin=rep.is_admin,
        hours=WorkingHours.from_dict(rep.work_hours, base=team_hours),
        cadence=CadenceSettings.from_dict(settings.get("cadence")),
        away_until=rep.away_until,
        team_settings=settings,
    )


def reps_by_id(session: Session, team_id: str) -> dict[str, Rep]:
    """The team's reps by user id."""
    return {rep.user_id: rep for rep in session.scalars(select(Rep).where(Rep.team_id == team_id))}


_reps = Rep.__table__.c
# The rep and their workspace in one read, built once: every command starts here.
_PROFILE = (
    select(
        _reps.team_id,
        _reps.user_id,
        _reps.name,
        _reps.tz,
        _reps.locale,
        _reps.language,
        _reps.is_admin,
        _reps.work_hours,
        _reps.away_until,
        _reps.profile_fetched_at,
        Team.__table__.c.settings.label("team_settings"),
    )
    .join(Team.__table__, Team.__table__.c.id == _reps.team_id)
    .where(_reps.team_id == bindparam("team"), _reps.user_id == bindparam("user"))
)


class RepDirectory:
    """Looks reps up, fetching and caching their Slack profile."""

    def __init__(
        self,
        db: Database,
        installations: Installations,
        clock: Callable[[], dt.datetime],
        background: Executor | None = None,
    ) -> None:
        self.db = db
        self.installations = installations
        self.clock = clock
        self.background = background

    def profile(self, team_id: str, user_id: str) -> RepProfile:
        """The rep's profile, creating the workspace and rep rows on first sight."""
        with self.db.read() as session:
            known = self.known(session, team_id, user_id)
        if known is not None:
            return known
        # Slack is asked outside any transaction: a slow answer must not hold the database.
        info = self._fetch(team_id, user_id)
        with self.db.transaction() as session:
            now = self.clock()
            insert_ignore(session, Team, id=team_id, settings={}, created_at=now)
            insert_ignore(session, Rep, team_id=team_id, user_id=user_id, tz="UTC", created_at=now)
            rep = session.get(Rep, (team_id, user_id))
            assert rep is not None
            if info is not None:
                _apply(rep, info, now)
            return profile_of(rep, session.get(Team, team_id))  # type: ignore[arg-type]

    def known(self, session: Session, team_id: str, user_id: str) -> RepProfile | None:
        """The profile of a rep already seen, read in the caller's transaction (one statement); None otherwise.

        A use case on the hot path reads it in its own write transaction, saving a transaction of its own.
        """
        row = session.execute(_PROFILE, {"team": team_id, "user": user_id}).first()
        if row is None:
            return None
        fetched = row.profile_fetched_at
        if (fetched is None or self.clock() - fetched > PROFILE_MAX_AGE) and self.background:
            self.background.submit(self._refresh, team_id, user_id)
        return _profile(row, row.team_settings)

    def email(self, team_id: str, user_id: str) -> str | None:
        """The rep's email from Slack's profile (scope users:read.email), asked when needed and not kept."""
        info = self._fetch(team_id, user_id, interactive=False)
        return ((info or {}).get("profile") or {}).get("email") or None

    def slack_admin(self, team_id: str, user_id: str, *, interactive: bool = True) -> bool | None:
        """Whether Slack says the user is an admin or owner, asked at most `RIGHTS_MAX_AGE` ago.

        None when Slack can't be asked: whoever acts on rights then refuses (fails closed).
        """
        with self.db.read() as session:
            rep = session.get(Rep, (team_id, user_id))
            fetched = rep.profile_fetched_at if rep is not None else None
            if rep is not None and fetched is not None and self.clock() - fetched <= RIGHTS_MAX_AGE:
                return rep.is_admin
        info = self._fetch(team_id, user_id, interactive=interactive)
        if info is None:
            return None
        with self.db.transaction() as session:
            rep = session.get(Rep, (team_id, user_id))
            if rep is not None:
                _apply(rep, info, self.clock())
        return _admin(info)

    def _fetch(self, team_id: str, user_id: str, *, interactive: bool = True) -> dict[str, Any] | None:
        try:
            client = self.installations.client_for(team_id, interactive=interactive)
            response = client.users_info(user=user_id, include_locale=True)
            return response.get("user")
        except (SlackApiError, OSError, ValueError) as err:
            # Defaults (UTC, English) serve this request; the next one tries again.
            log.warning("users.info for %s/%s failed: %s", team_id, user_id, type(err).__name__)
            return None

    def _refresh(self, team_id: str, user_id: str) -> None:
        info = self._fetch(team_id, user_id, interactive=False)
        if info is None:
            return
        with self.db.transaction() as session:
            rep = session.get(Rep, (team_id, user_id))
            if rep is not None:
                _apply(rep, info, self.clock())

    def dm_channel(self, team_id: str, user_id: str) -> str:
        """The DM channel with a rep, opened once and remembered."""
        with self.db.read() as session:
            rep = session.get(Rep, (team_id, user_id))
            if rep is not None and rep.dm_channel:
                return rep.dm_channel
        channel = self.installations.client_for(team_id).conversations_open(users=user_id)["channel"]["id"]
        with self.db.transaction() as session:
            rep = session.get(Rep, (team_id, user_id))
            if rep is not None:
                rep.dm_channel = channel
        return channel

    def set_language(self, team_id: str, user_id: str, language: str | None) -> None:
        """Store a rep's own language choice (None: follow the Slack locale again)."""
        with self.db.transaction() as session:
            rep = session.execute(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id)).scalar_one()
            rep.language = language


def _apply(rep: Rep, info: dict[str, Any], now: dt.datetime) -> None:
    rep.name = info.get("real_name") or info.get("profile", {}).get("real_name") or info.get("name") or rep.name
    rep.tz = info.get("tz") or rep.tz or "UTC"
    rep.locale = info.get("locale") or rep.locale
    rep.is_admin = _admin(info)
    rep.profile_fetched_at = now


def _admin(info: dict[str, Any]) -> bool:
    # A deactivated account keeps its flags in users.info but holds no rights.
    admin = info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner")
    return bool(admin and not info.get("deleted"))
