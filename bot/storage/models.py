"""The database schema: typed SQLAlchemy 2 models. Every row belongs to one Slack workspace (`team_id`).

Times are stored in UTC (`UTCDateTime` refuses naive datetimes and hands back aware ones, also on SQLite, which
has no time zones of its own).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# Stable constraint names, so Alembic migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC datetime in Python; stored as UTC (naive on SQLite, timestamptz on PostgreSQL)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """The declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


class Team(Base):
    """A Slack workspace that has the bot."""

    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime]
    # Set when Slack says the bot was uninstalled (or its token revoked): nothing more is sent to the workspace, and
    # its data is deleted once the grace period has passed (bot.usecases.installs); a reinstall clears it.
    uninstalled_at: Mapped[dt.datetime | None]


class Rep(Base):
    """A Slack user who logs work: their time zone and locale come from `users.info` and are cached here."""

    __tablename__ = "reps"

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))  # the rep's own choice, over the Slack locale
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    dm_channel: Mapped[str | None] = mapped_column(String(32))
    work_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # overrides the team's working hours
    away_until: Mapped[dt.date | None] = mapped_column(Date)
    # The rep's current streak of work, kept up entry by entry so a new entry costs no history (coaching.streaks).
    streak_start: Mapped[dt.datetime | None]
    streak_end: Mapped[dt.datetime | None]
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))  # "a teammate"
    digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))  # managers only
    profile_fetched_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    # Raised with every change to the rep's entries, under this row's lock: one number tells a process that
    # remembers the rep's day whether anyone else changed it (bot.usecases.tips).
    entries_version: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class Lead(Base):
    """A company or person reps call, matched per workspace on a case- and whitespace-folded key.

    The lead also carries where its follow-up cadence stands, so a sweep never has to replay history.
    """

    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("team_id", "key"),
        # The persistence rules read a rep's recently called leads.
        Index("ix_leads_owner_recent", "team_id", "owner_id", "last_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[str] = mapped_column(String(32))  # the rep whose cadence it is: the last to call
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    unreached_attempts: Mapped[int] = mapped_column(Integer, default=0)
    cadence: Mapped[str] = mapped_column(String(16), default="none")  # none|active|reached|stopped|exhausted
    # Why the rep stopped the cadence (coaching.domain.StopReason): a lead stopped for a reason wasn't dropped early.
    stop_reason: Mapped[str | None] = mapped_column(String(24))
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    last_attempt_at: Mapped[dt.datetime | None]
    first_attempt_at: Mapped[dt.datetime | None]
    reached_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class Activity(Base):
    """A call, a piece of logged work, a break or a focus block."""

    __tablename__ = "activities"
    __table_args__ = (
        ForeignKeyConstraint(["team_id", "user_id"], ["reps.team_id", "reps.user_id"], ondelete="CASCADE"),
        Index("ix_activities_rep_time", "team_id", "user_id", "started_at"),
        # The leaderboard's window scan: everything it aggregates is in the index (bench/bench_leaderboard.py).
        Index(
            "ix_activities_team_time",
            "team_id",
            "started_at",
            "user_id",
            "kind",
            "outcome",
            "decision_maker",
            "researched",
            "attempt",
            "lead_id",
        ),
        # First meetings, to celebrate on the leaderboard.
        Index(
            "ix_activities_meetings",
            "team_id",
            "user_id",
            "started_at",
            postgresql_where=text("kind = 'call' AND outcome = 'meeting'"),
            sqlite_where=text("kind = 'call' AND outcome = 'meeting'"),
        ),
        UniqueConstraint("team_id", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # call|work|break|focus
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime]
    outcome: Mapped[str | None] = mapped_column(String(32))
    work: Mapped[str | None] = mapped_column(String(16))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int | None] = mapped_column(Integer)  # the call's attempt number on its lead
    researched: Mapped[bool] = mapped_column(Boolean, default=False)
    decision_maker: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="command")  # command|modal|button|message
    dedupe_key: Mapped[str | None] = mapped_column(String(200))  # set where Slack may deliver a click twice
    created_at: Mapped[dt.datetime]


class RepDayRow:
    """A row per rep per day (mixin): its key leads the primary key, and it goes when the rep goes."""

    # sort_order: the key's columns come first, as a mixin's would otherwise come last.
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True, sort_order=-1)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True, sort_order=-1)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True, sort_order=-1)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        """The rep the row belongs to."""
        return (ForeignKeyConstraint(["team_id", "user_id"], ["reps.team_id", "reps.user_id"], ondelete="CASCADE"),)


class RepDay(RepDayRow, Base):
    """A rep's calls on one UTC calendar day, counted as the leaderboard counts them (bot.storage.standings).

    Written in the same transaction as each call (bot.usecases.calls.log_call), so it is never behind the activities.
    `attempt_n` counts the day's calls that were attempt n on their lead (2 up to coaching.cadence's hard maximum
    of 10): a team's follow-up target can change, and the leaderboard sums the ones up to the current target.
    """

    __tablename__ = "rep_days"

    dials: Mapped[int] = mapped_column(Integer, default=0)
    conversations: Mapped[int] = mapped_column(Integer, default=0)
    dm_conversations: Mapped[int] = mapped_column(Integer, default=0)
    meetings: Mapped[int] = mapped_column(Integer, default=0)
    researched_calls: Mapped[int] = mapped_column(Integer, default=0)
    attempt_2: Mapped[int] = mapped_column(Integer, default=0)
    attempt_3: Mapped[int] = mapped_column(Integer, default=0)
    attempt_4: Mapped[int] = mapped_column(Integer, default=0)
    attempt_5: Mapped[int] = mapped_column(Integer, default=0)
    attempt_6: Mapped[int] = mapped_column(Integer, default=0)
    attempt_7: Mapped[int] = mapped_column(Integer, default=0)
    attempt_8: Mapped[int] = mapped_column(Integer, default=0)
    attempt_9: Mapped[int] = mapped_column(Integer, default=0)
    attempt_10: Mapped[int] = mapped_column(Integer, default=0)


#: The attempt numbers RepDay counts one by one: the follow-ups (2nd call on) up to the hard maximum of a cadence.
REP_DAY_ATTEMPTS = range(2, 11)


class PersistencePeriod(Base):
    """A season of a workspace (a week or a month from its local midnight) whose attempts per lead are kept folded.

    bot.storage.persistence folds the season's calls into it, off the `/call` path: every call that started before
    `horizon` is in its steps and days.
    """

    __tablename__ = "persistence_periods"
    __table_args__ = (UniqueConstraint("team_id", "season", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    season: Mapped[str] = mapped_column(String(8))  # week|month
    start: Mapped[dt.datetime]
    end: Mapped[dt.datetime]
    horizon: Mapped[dt.datetime]


class PersistenceStep(Base):
    """How one call moved its rep's attempts-per-lead sums for the season so far (see bot.storage.persistence).

    A lead's step at a call is its share of the figure with that call minus its share before it, so a season's
    figure up to any moment is the sum of the steps before that moment.
    """

    __tablename__ = "persistence_steps"
    __table_args__ = (
        ForeignKeyConstraint(["team_id", "user_id"], ["reps.team_id", "reps.user_id"], ondelete="CASCADE"),
        # The partial day of a window: everything summed is in the index.
        Index("ix_persistence_steps_time", "period_id", "at", "user_id", "leads", "attempts"),
        Index("ix_persistence_steps_lead", "period_id", "lead_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("persistence_periods.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime]
    leads: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer)


class PersistenceDay(Base):
    """A rep's steps of one UTC day of a season, summed: a window's whole days are read from here."""

    __tablename__ = "persistence_days"
    __table_args__ = (
        ForeignKeyConstraint(["team_id", "user_id"], ["reps.team_id", "reps.user_id"], ondelete="CASCADE"),
        # Kept in key order on SQLite, so a window's days are one range read, not a lookup per row.
        {"sqlite_with_rowid": False},
    )

    period_id: Mapped[int] = mapped_column(ForeignKey("persistence_periods.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    leads: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer)


class PersistenceChange(Base):
    """A call written, corrected or removed behind the fold's horizon (HubSpot): its lead is folded again.

    Until then, a window holding `at` is counted from the activities (bot.storage.persistence).
    """

    __tablename__ = "persistence_changes"
    __table_args__ = (Index("ix_persistence_changes_team", "team_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime]


class DigestWeek(Base):
    """A week of a workspace whose manager digest the clock prepares ahead: each rep's part (bot.usecases.digest).

    `first_day` is the week's first date in its managers' zone (the digest names each rep's days by it), and
    `settings_key` the coaching thresholds the parts were judged by. `complete_at` is when every rep of the team got
    a part row; until then the digest counts the week from the activities.
    """

    __tablename__ = "digest_weeks"
    __table_args__ = (UniqueConstraint("team_id", "start", "end", "first_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    start: Mapped[dt.datetime]
    end: Mapped[dt.datetime]
    #: The digest reads the week before too (its trend): a change to an entry from here to `end` touches the parts.
    reads_from: Mapped[dt.datetime]
    first_day: Mapped[dt.date] = mapped_column(Date)
    settings_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    complete_at: Mapped[dt.datetime | None]


class DigestPart(Base):
    """One rep's part of a digest week: their figures for the week and the week before, and their days' findings.

    `payload` None: to be counted (new, or an entry in the week was written, corrected or removed since).
    """

    __tablename__ = "digest_parts"
    __table_args__ = (
        ForeignKeyConstraint(["team_id", "user_id"], ["reps.team_id", "reps.user_id"], ondelete="CASCADE"),
        Index("ix_digest_parts_rep", "team_id", "user_id"),
    )

    week_id: Mapped[int] = mapped_column(ForeignKey("digest_weeks.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    rep_tz: Mapped[str | None] = mapped_column(String(64))  # the rep's zone the days were cut in
    # none_as_null: None is SQL NULL (to be counted), not the JSON text "null".
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class Nudge(Base):
    """The outbox: one message the bot owes someone, written in the same transaction as its cause.

    A sweep claims due rows (pending -> sending, with a lease), sends them, and marks them sent. `dedupe_key` is
    unique, so the same nudge can never be written twice.
    """

    __tablename__ = "nudges"
    __table_args__ = (
        # The sweep's two questions, each answered from an index that holds only the rows it asks about.
        Index(
            "ix_nudges_due",
            "due_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index(
            "ix_nudges_lease",
            "lease_until",
            postgresql_where=text("status = 'sending'"),
            sqlite_where=text("status = 'sending'"),
        ),
        Index("ix_nudges_rep", "team_id", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(String(32))  # a DM's rep; None for a channel post
    channel: Mapped[str | None] = mapped_column(String(32))  # a channel post's channel
    kind: Mapped[str] = mapped_column(String(24))  # followup|followup_list|list_added|break|focus_summary|...
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int | None] = mapped_column(Integer)  # for a follow-up: the attempt it asks for
    due_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|listed|cancelled|failed
    tries: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[dt.datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sent_channel: Mapped[str | None] = mapped_column(String(32))
    sent_ts: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[dt.datetime | None]
    acted_at: Mapped[dt.datetime | None]  # when a button on it was used; a second click finds it set
    action: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))
    # A follow-up shown in a day's list (status `listed`): the rep's local day of that list (FollowupList).
    list_day: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime]


class FollowupList(RepDayRow, Base):
    """A rep's follow-up list of one local working day: one DM the outbox sends, then updates in place.

    Its items are the follow-ups listed on that day (`Nudge.list_day`). `nudge_id` is the outbox row that posts
    and updates the message (its `sent_channel` and `sent_ts` say where it is). Every change to the list (an item
    joins, a button is used) raises `version` in the changer's transaction; the outbox row records the version it
    showed, and one that showed less is sent again as an update (bot.usecases.daylist), so a click and an update
    that race both end up in the message.
    """

    __tablename__ = "followup_lists"

    nudge_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=0)
    added_note: Mapped[bool] = mapped_column(Boolean, default=False)  # the afternoon's "N joined" DM is written
    # Messages shown in the list instead of as DMs of their own, each {"why", "text"} (bot.usecases.daylist): what
    # went past the rep's budget that day (a break suggestion, a focus summary), and a focus summary that went out
    # with the list's first sending. Rows from before the "why" hold plain strings, all the budget's.
    held: Mapped[list[str | dict[str, str]] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]


class TipShown(RepDayRow, Base):
    """Which coaching codes a rep was shown on which local day: the same code reaches a rep once a day.

    `subject` names the leads a tip was about, one per line ("" for a tip about the day): a tip about the same
    leads isn't repeated within 5 business days (bot.usecases.tips).
    """

    __tablename__ = "tips_shown"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    shown_at: Mapped[dt.datetime]
    subject: Mapped[str] = mapped_column(Text, default="", server_default="")


class RuleMute(Base):
    """A rep muted a coaching rule for a while (the button under a tip); the digest counts them per rule."""

    __tablename__ = "rule_mutes"
    __table_args__ = (
        ForeignKeyConstraint(["team_id", "user_id"], ["reps.team_id", "reps.user_id"], ondelete="CASCADE"),
        Index("ix_rule_mutes_rep", "team_id", "user_id", "until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(8))
    muted_at: Mapped[dt.datetime]
    until: Mapped[dt.datetime]


class ProcessedEvent(Base):
    """Deliveries already handled: Slack's retries and replayed commands or forms change nothing.

    Events are retried with X-Slack-Retry-Num; a slash command is known by its trigger_id, a form by its view id and
    hash. Kept a day (`bot.usecases.due.plan` prunes older ones): Slack retries within the hour, and a signed request
    is good for 5 minutes.
    """

    __tablename__ = "processed_events"

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(index=True)


class Manager(Base):
    """Someone a workspace admin or another manager granted the manager's view (admins and owners are managers)."""

    __tablename__ = "managers"

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted_by: Mapped[str | None] = mapped_column(String(32))  # None once its granter asked to be forgotten
    granted_at: Mapped[dt.datetime]


class Subscription(Base):
    """A channel that gets the leaderboard posted on schedule."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(32))
    frequency: Mapped[str] = mapped_column(String(8))  # daily|weekly
    season: Mapped[str] = mapped_column(String(8))  # week|month: the window a post ranks, reset with a final post
    #: The posts' language (en|nl), chosen at subscribe; None: the team's language at the time of each post.
    language: Mapped[str | None] = mapped_column(String(8), nullable=True, default=None)
    created_by: Mapped[str | None] = mapped_column(String(32))  # None once its author asked to be forgotten
    created_at: Mapped[dt.datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ChartFile(RepDayRow, Base):
    """A rep's weekly chart of one day: uploaded into the rep's DM with the bot, shown on the App Home by its file id.

    `state` is `processing` from the upload until Slack's files.info shows the file shared in the DM, `ready` from
    then on (only then does the Home show it), and `refused` when Slack refused a Home showing it all the same: the
    Home goes without a chart for the rest of that day (bot.usecases.home).
    """

    __tablename__ = "chart_files"

    file_id: Mapped[str] = mapped_column(String(32))
    uploaded_at: Mapped[dt.datetime]
    state: Mapped[str] = mapped_column(String(16), default="processing", server_default="processing")


class CrmConnection(Base):
    """A workspace's HubSpot account: its token (encrypted, bot.crm.secrets), call outcome mapping and sync cursor.

    `status` is `active`, or `revoked` once HubSpot refused the token (the sync stops; the managers are told once,
    `revoked_told`). The pull reads calls changed at or after `cursor`, from the page `cursor_after` within it.
    `source` says how it was connected: a private-app token pasted in `settings`, HUBSPOT_ACCESS_TOKEN
    (`environment`), or a public app's `oauth`, whose access token expires at `expires_at` and is renewed with
    `refresh_token` (encrypted too).
    """

    __tablename__ = "crm_connections"

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(Text)  # Fernet token of the access token
    source: Mapped[str] = mapped_column(String(16))  # settings|environment|oauth
    refresh_token: Mapped[str | None] = mapped_column(Text)  # Fernet token of an OAuth refresh token
    expires_at: Mapped[dt.datetime | None]  # when an OAuth access token expires
    portal_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    outcomes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # our outcome -> HubSpot disposition id
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)  # HubSpot disposition id -> its label
    cursor: Mapped[dt.datetime | None]
    cursor_after: Mapped[str | None] = mapped_column(String(32))
    synced_at: Mapped[dt.datetime | None]
    pulled: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    revoked_told: Mapped[bool] = mapped_column(Boolean, default=False)
    connected_by: Mapped[str | None] = mapped_column(String(32))  # None once they are forgotten
    connected_at: Mapped[dt.datetime]


class CrmOAuthState(Base):
    """A "Connect HubSpot" link handed to a manager: single-use, short-lived, bound to the workspace and manager.

    Only a digest of the state is kept: the link itself (in the manager's Slack) is the secret.
    """

    __tablename__ = "crm_oauth_states"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the state, hex
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[dt.datetime]


class CrmOwner(Base):
    """The HubSpot owner a rep is: matched by email, or set by a manager (`by_manager`, which a match never undoes)."""

    __tablename__ = "crm_owners"
    __table_args__ = (
        ForeignKeyConstraint(["team_id", "user_id"], ["reps.team_id", "reps.user_id"], ondelete="CASCADE"),
        Index("ix_crm_owners_owner", "team_id", "owner_id"),
    )

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200))
    by_manager: Mapped[bool] = mapped_column(Boolean, default=False)


class CrmLead(Base):
    """The HubSpot company or contact a lead is, matched by name once and remembered.

    `kind` is `companies` or `contacts` with `object_id`; `none` when HubSpot has no such record; `ambiguous` while
    the rep is to pick one of `choices` (buttons in a DM). `fields` are the record's key fields as last read from
    HubSpot (the lead card shows them without asking HubSpot).
    """

    __tablename__ = "crm_leads"
    __table_args__ = (Index("ix_crm_leads_object", "team_id", "kind", "object_id"),)

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[str | None] = mapped_column(String(32))
    label: Mapped[str | None] = mapped_column(String(200))
    choices: Mapped[list[Any] | None] = mapped_column(JSON)
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the record's key fields, for the lead card


class CrmCall(Base):
    """A call that is in HubSpot: pushed from an activity here, or pulled from HubSpot into one.

    Unique by HubSpot id and by activity, so neither side is ever counted twice. A call deleted in HubSpot keeps
    its row (`deleted`), with its activity removed, so a later pass never brings it back.
    """

    __tablename__ = "crm_calls"
    __table_args__ = (UniqueConstraint("team_id", "hubspot_id"), UniqueConstraint("activity_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    hubspot_id: Mapped[str] = mapped_column(String(32))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    origin: Mapped[str] = mapped_column(String(8))  # pushed|pulled
    disposition: Mapped[str | None] = mapped_column(String(64))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


# slack_sdk's OAuth stores (bot.slack.installs) read and write tables of their own: a workspace's installation (its
# bot token, refresh token and expiry), and the OAuth `state` of installs in progress. They are declared here exactly
# as slack_sdk builds them, so that migration 0010 creates them and the test that the migrations match the models
# holds the two together on both databases. Their rows belong to a workspace by `team_id` too.
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(Base.metadata, "slack_installations")
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, "slack_bots")
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, "slack_oauth_states")
