"""HubSpot, both ways: connecting a workspace, pushing each call logged here, pulling the calls logged there.

- Connect: a manager pastes a private-app token in `/coach settings` (or `HUBSPOT_ACCESS_TOKEN` connects the one
  workspace), or, with a public app configured (HUBSPOT_CLIENT_ID/_SECRET), follows a "Connect HubSpot" link
  through HubSpot's OAuth (`connect_link`, `oauth_start`, `oauth_finish`); the token is checked with HubSpot
  first and kept encrypted (bot.crm.accounts). A token HubSpot refuses later (or a refresh it refuses) stops the
  sync and tells the managers once.
- Push: every call logged in Slack writes a `crm_push` outbox row in its own transaction (`queue_push`); the sweep
  pushes it once (`decide_push`), retrying 429s and 5xx, and `after_push` keeps the HubSpot id. The call carries
  our unique `salescoach_id`, so a retry after an unclear failure finds the call instead of making a second.
- Leads: a lead is matched to a HubSpot company or contact by name once; when several fit, the rep picks one with
  buttons (`choose`), and its calls wait for that choice (a day at most, then they go without an association).
- Pull: `sync` reads the calls changed since the workspace's cursor, oldest change first, page by page; each page
  and the cursor after it are one transaction, so an interrupted sync resumes where it stopped and never records a
  call twice. A new call is recorded exactly as `/call` records one (`calls.log_call`); a changed disposition
  corrects ours; a call deleted in HubSpot is removed here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import html
import logging
import re
import secrets
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import bindparam, delete, exists, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.crm.accounts import Accounts
from bot.crm.hubspot import COMPANY_FIELDS, CONTACT_FIELDS, MARKER, SEARCH_WINDOW, HubSpot, HubSpotError
from bot.crm.oauth import Tokens
from bot.crm.records import lead_record
from bot.outbox import rows as outbox
from bot.outbox.sweep import CannotDeliver, Decision, TryLater
from bot.slack import blockkit
from bot.slack.clients import NotInstalled
from bot.storage import persistence
from bot.storage.database import Database, insert_ignore, upsert_insert
from bot.storage.models import (
    Activity,
    CrmCall,
    CrmConnection,
    CrmLead,
    CrmOAuthState,
    CrmOwner,
    Lead,
    Nudge,
    Rep,
    RepDay,
    Team,
)
from bot.storage.records import entries_changed
from bot.usecases.managers import manager_ids
from bot.usecases.reps import RepDirectory, RepProfile, profile_of
from coaching.dispositions import by_label, outcome_for, outcome_of
from coaching.domain import CONVERSATIONS, ActivityKind, Outcome
from coaching.findings import Count
from coaching.i18n import t
from coaching.parser import CallCommand
from coaching.render import count

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

PUSH = "crm_push"
CHOOSE = "crm_choose"
REVOKED = "crm_revoked"
CHOICE_WAIT = dt.timedelta(days=1)  # how long a call waits for the rep to say which record its lead is
REVOKED_WAIT = dt.timedelta(hours=1)  # a push while the token is refused waits for a manager to connect again
CHOOSE_ACTION = "crm_choose"


# -- connecting --------------------------------------------------------------------------------------------------


def connect(
    rt: Runtime, team_id: str, user_id: str, token: str, *, source: str = "settings", tokens: Tokens | None = None
) -> str | None:
    """Check `token` with HubSpot and keep it as the workspace's connection: None, or what went wrong (a key).

    `tokens` are an OAuth connection's (`source="oauth"`): `token` is their access token.
    """
    accounts: Accounts = rt.crm
    if not accounts.enabled:
        return "crm.no_key"
    token = token.strip()
    if tokens is None and not re.fullmatch(r"[A-Za-z0-9_\-.:]{8,500}", token):
        return "crm.bad_token"
    try:
        checked = accounts.check(token)
    except HubSpotError as err:
        log.warning("HubSpot refused a token on connect: %s %s", err.status, err.category)
        return "crm.refused" if err.status in (401, 403) else "crm.unreachable"
    with rt.db.transaction() as session:
        row = session.get(CrmConnection, team_id)
        outcomes = by_label(checked.labels)
        if row is not None and row.outcomes:
            # A manager's own choices survive reconnecting, where the account still has the disposition.
            outcomes.update({o: d for o, d in row.outcomes.items() if d in checked.labels})
        accounts.store(session, team_id, token, checked, outcomes, user_id, source, rt.clock(), tokens)
        # Pushes that waited while the token was refused go now.
        session.flush()
        session.execute(
            update(Nudge)
            .where(Nudge.team_id == team_id, Nudge.kind == PUSH, Nudge.status == "pending")
            .values(due_at=rt.clock())
        )
    if source == "settings":
        # A form's answer must reach Slack within 3 seconds, and matching asks Slack about every rep: after it.
        rt.background.submit(_match_quietly, rt, token, team_id)
    else:
        _match_quietly(rt, token, team_id)
    return None


# -- connecting through HubSpot's OAuth ------------------------------------------------------------------------------

STATE_TTL = dt.timedelta(minutes=30)  # how long a "Connect HubSpot" link works (once)
INSTALL_PATH = "/hubspot/install"


class NotConnected(Exception):
    """The OAuth flow stopped with nothing stored: `key` (a hubspot_oauth.* text) says why, `status` the HTTP status."""

    def __init__(self, key: str, status: int, reason: str = "") -> None:
        super().__init__(key)
        self.key, self.status, self.reason = key, status, reason


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def connect_link(rt: Runtime, team_id: str, user_id: str) -> str | None:
    """A manager's own "Connect HubSpot" link (on our server), or None without a public app configured.

    The link carries a fresh state bound to the workspace and the manager: it works once, within STATE_TTL.
    """
    app = rt.crm.app
    if app is None:
        return None
    state = secrets.token_urlsafe(32)
    now = rt.clock()
    with rt.db.transaction() as session:
        session.execute(delete(CrmOAuthState).where(CrmOAuthState.expires_at <= now))
        session.add(CrmOAuthState(digest=_digest(state), team_id=team_id, user_id=user_id, expires_at=now + STATE_TTL))
    parts = urllib.parse.urlsplit(app.redirect_url)
    return urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, INSTALL_PATH, urllib.parse.urlencode({"state": state}), "")
    )


def oauth_start(rt: Runtime, state: str) -> str:
    """`GET /hubspot/install?state=...`: HubSpot's consent page for a link that still works (NotConnected else)."""
    app = rt.crm.app
    if app is None:
        raise NotConnected("bad_state", 404)
    with rt.db.read() as session:
        row = session.get(CrmOAuthState, _digest(state)) if state else None
        if row is None or row.expires_at <= rt.clock():
            raise NotConnected("bad_state", 401)
    return app.authorize(state)


def oauth_finish(rt: Runtime, state: str, code: str, error: str) -> str:
    """`GET /hubspot/oauth_redirect`: use up the state, take the code's tokens, connect; returns the portal id.

    A state unknown, expired or used before, a consent denied, or a code HubSpot refuses: NotConnected, and
    nothing stored (the state is used up all the same: a link works once).
    """
    from bot.usecases.managers import is_manager

    if rt.crm.app is None:
        raise NotConnected("bad_state", 404)
    now = rt.clock()
    with rt.db.transaction() as session:
        row = session.get(CrmOAuthState, _digest(state)) if state else None
        if row is None:
            raise NotConnected("bad_state", 401)
        team_id, user_id, fresh = row.team_id, row.user_id, row.expires_at > now
        # Whoever deletes the row uses the state: of two redirects with it at once, the second deletes nothing.
        used = session.execute(delete(CrmOAuthState).where(CrmOAuthState.digest == row.digest)).rowcount
    if not fresh or used != 1:
        raise NotConnected("bad_state", 401)
    if error:
        raise NotConnected("denied", 200)
    with rt.db.read() as session:
        if not is_manager(session, team_id, user_id):
            raise NotConnected("not_manager", 403)
    try:
        tokens = rt.crm.app.exchange(code)
    except HubSpotError as err:
        log.warning("HubSpot refused an OAuth code: %s %s", err.status, err.category)
        if err.transient:
            raise NotConnected("unreachable", 503) from err
        raise NotConnected("refused", 400, err.category) from err
    problem = connect(rt, team_id, user_id, tokens.access, source="oauth", tokens=tokens)
    if problem:
        raise NotConnected("unreachable" if problem == "crm.unreachable" else "refused", 400, problem.split(".")[-1])
    with rt.db.read() as session:
        connection = session.get(CrmConnection, team_id)
        return connection.portal_id or "" if connection is not None else ""


def _match_quietly(rt: Runtime, token: str, team_id: str) -> None:
    """Match the team's reps to HubSpot users now; what fails here the next sync pass does."""
    try:
        match_owners(rt, rt.crm.client_for_token(token), team_id)
    except HubSpotError as err:
        log.warning("matching reps to HubSpot owners failed: %s", err)
    except Exception:  # in a background thread nobody else would see it
        log.exception("matching reps to HubSpot owners failed")


def connect_from_environment(rt: Runtime, team_id: str) -> None:
    """Single-workspace mode: HUBSPOT_ACCESS_TOKEN connects the workspace, and connects it again once it changed.

    A manager's own connection (or disconnection) wins; a token HubSpot refused is not tried again until the
    environment holds another.
    """
    token = rt.crm.env_token
    if not token or not rt.crm.enabled:
        return
    with rt.db.read() as session:
        row = session.get(CrmConnection, team_id)
        if row is not None and (row.source != "environment" or row.status != "revoked"):
            return
        if row is not None and rt.crm.token_of(row) == token:
            return
    problem = connect(rt, team_id, "environment", token, source="environment")
    if problem:
        log.warning("HUBSPOT_ACCESS_TOKEN did not connect workspace %s: %s", team_id, problem)


def _environment_workspace(rt: Runtime) -> None:
    """Single-workspace mode: the bot token's workspace is known before anyone in it has used the bot."""
    if rt.config.oauth:
        return  # many workspaces install the bot: HUBSPOT_ACCESS_TOKEN names none of them
    try:
        team_id = rt.installations.client_for("").auth_test().get("team_id")
    except (SlackApiError, OSError, ValueError, NotInstalled) as err:
        log.warning("auth.test for HUBSPOT_ACCESS_TOKEN's workspace failed: %s", type(err).__name__)
        return
    if team_id:
        with rt.db.transaction() as session:
            insert_ignore(session, Team, id=str(team_id), settings={}, created_at=rt.clock())


def connected(session: Session, team_id: str) -> CrmConnection | None:
    """The workspace's HubSpot connection, if it has one that works."""
    row = session.get(CrmConnection, team_id)
    return row if row is not None and row.status == "active" else None


def _revoked(db: Database, team_id: str, error: HubSpotError, now: dt.datetime) -> None:
    """HubSpot refused the token: stop syncing, and tell the managers, once per connection."""
    with db.transaction() as session:
        row = session.get(CrmConnection, team_id)
        if row is None or row.status != "active":
            return
        row.status, row.last_error = "revoked", str(error)[:300]
        if row.revoked_told:
            return
        row.revoked_told = True
        stamp = row.connected_at.strftime("%Y%m%d%H%M%S")
        for manager in manager_ids(session, team_id):
            key = f"{REVOKED}:{team_id}:{stamp}:{manager}"
            outbox.schedule(session, team_id, REVOKED, now, key, now, user_id=manager)


def revoked_message(session: Session, nudge: Nudge, rep: RepProfile) -> Decision:
    """The managers' one message about a refused token."""
    row = session.get(CrmConnection, nudge.team_id)
    if row is None or row.status == "active":
        return Decision(cancel_reason="connected again")
    key = "hubspot_oauth.revoked" if row.source == "oauth" else "crm.revoked"
    return Decision(message={"text": t(rep.language, key)}, user_id=rep.user_id)


# -- reps and owners ---------------------------------------------------------------------------------------------


def match_owners(rt: Runtime, client: HubSpot, team_id: str) -> int:
    """Match reps with no owner yet to HubSpot owners by email (Slack's profile email); returns how many matched."""
    with rt.db.read() as session:
        known = set(session.scalars(select(CrmOwner.user_id).where(CrmOwner.team_id == team_id)))
        reps = [u for u in session.scalars(select(Rep.user_id).where(Rep.team_id == team_id)) if u not in known]
    if not reps:
        return 0
    by_email = {o["email"].casefold(): o["id"] for o in client.owners() if o["email"]}
    matched = 0
    for user_id in reps:
        email = rt.reps.email(team_id, user_id)
        owner = by_email.get((email or "").casefold())
        if owner is None:
            continue
        with rt.db.transaction() as session:
            matched += insert_ignore(
                session, CrmOwner, team_id=team_id, user_id=user_id, owner_id=owner, email=email, by_manager=False
            )
    return matched


def set_owner(rt: Runtime, rep: RepProfile, user_id: str, owner: str) -> str:
    """`/coach hubspot owner @rep <email or owner id>`: a manager says which HubSpot owner a rep is."""
    with rt.db.read() as session:
        row = connected(session, rep.team_id)
    client = rt.crm.client(row)
    if client is None:
        return t(rep.language, "crm.not_connected")
    try:
        owners = client.owners()
    except HubSpotError:
        return t(rep.language, "crm.unreachable")
    found = next((o for o in owners if owner.casefold() in (o["id"], o["email"].casefold())), None)
    if found is None:
        return t(rep.language, "crm.no_owner", owner=blockkit.escape(owner))
    rt.reps.profile(rep.team_id, user_id)
    with rt.db.transaction() as session:
        existing = session.get(CrmOwner, (rep.team_id, user_id))
        if existing is None:
            session.add(
                CrmOwner(
                    team_id=rep.team_id, user_id=user_id, owner_id=found["id"], email=found["email"], by_manager=True
                )
            )
        else:
            existing.owner_id, existing.email, existing.by_manager = found["id"], found["email"], True
    return t(rep.language, "crm.owner_set", user=user_id, owner=blockkit.escape(found["name"] or found["email"]))


# -- /coach hubspot ----------------------------------------------------------------------------------------------


def command(rt: Runtime, rep: RepProfile, words: list[str]) -> str:
    """`/coach hubspot [owner @rep <email>|outcome <outcome> <label>|disconnect]`: managers only."""
    from bot.usecases.managers import is_manager

    lang = rep.language
    with rt.db.read() as session:
        if not is_manager(session, rep.team_id, rep.user_id):
            return t(lang, "manager.only")
    if not rt.crm.enabled:
        return t(lang, "crm.no_key")
    verb = words[0].casefold() if words else "status"
    if verb == "owner" and len(words) == 3 and re.fullmatch(r"<@([UW][A-Z0-9]+)(\|[^>]*)?>", words[1]):
        user_id = re.fullmatch(r"<@([UW][A-Z0-9]+)(\|[^>]*)?>", words[1]).group(1)  # type: ignore[union-attr]
        return set_owner(rt, rep, user_id, words[2])
    if verb == "outcome" and len(words) >= 3:
        return set_outcome(rt, rep, words[1], " ".join(words[2:]))
    if verb == "disconnect":
        with rt.db.transaction() as session:
            row = session.get(CrmConnection, rep.team_id)
            if row is None:
                return t(lang, "crm.not_connected")
            row.status = "disconnected"
        return t(lang, "crm.disconnected")
    if verb != "status":
        return t(lang, "crm.usage")
    link = connect_link(rt, rep.team_id, rep.user_id)
    return status(rt, rep) + (f"\n{t(lang, 'hubspot_oauth.link', url=link)}" if link else "")


def status(rt: Runtime, rep: RepProfile) -> str:
    """Where the workspace's HubSpot stands: connected or not, owners matched, outcome mapping, the last sync."""
    lang = rep.language
    with rt.db.read() as session:
        row = session.get(CrmConnection, rep.team_id)
        if row is None or row.status == "disconnected":
            return t(lang, "crm.not_connected")
        owners = session.scalars(select(CrmOwner).where(CrmOwner.team_id == rep.team_id)).all()
        lines = [t(lang, "crm.status_" + ("active" if row.status == "active" else "revoked"), portal=row.portal_id)]
        lines.append(
            t(lang, "crm.status_owners", owners=", ".join(f"<@{o.user_id}>" for o in owners) or "-", count=len(owners))
        )
        matched = {o.user_id for o in owners}
        unmatched = [
            u for u in session.scalars(select(Rep.user_id).where(Rep.team_id == rep.team_id)) if u not in matched
        ]
        if unmatched:
            lines.append(t(lang, "crm.status_unmatched", reps=", ".join(f"<@{u}>" for u in unmatched)))
        mapping = ", ".join(
            f"{blockkit.outcome_name(lang, Outcome(o))} → {blockkit.escape(row.labels.get(d, d))}"
            for o, d in row.outcomes.items()
        )
        lines.append(t(lang, "crm.status_outcomes", mapping=mapping))
        if row.synced_at is not None:
            lines.append(
                t(
                    lang,
                    "crm.status_synced",
                    when=blockkit.local_when(lang, row.synced_at, rt.clock(), rep.tz),
                    n=count(Count(row.pulled, "call"), lang),
                )
            )
    return "\n".join(lines)


def set_outcome(rt: Runtime, rep: RepProfile, outcome_word: str, label: str) -> str:
    """`/coach hubspot outcome <outcome> <HubSpot label>`: which disposition one of our outcomes becomes."""
    lang = rep.language
    outcome = outcome_for(outcome_word)
    if outcome is None:
        return t(lang, "crm.usage")
    with rt.db.transaction() as session:
        row = connected(session, rep.team_id)
        if row is None:
            return t(lang, "crm.not_connected")
        wanted = " ".join(label.casefold().split())
        disposition = next((d for d, text in row.labels.items() if " ".join(text.casefold().split()) == wanted), None)
        if disposition is None:
            labels = ", ".join(blockkit.escape(text) for text in row.labels.values())
            return t(lang, "crm.no_disposition", label=blockkit.escape(label), labels=labels)
        row.outcomes = {**row.outcomes, outcome.value: disposition}
    return t(lang, "crm.outcome_set", outcome=blockkit.outcome_name(lang, outcome), label=blockkit.escape(label))


# -- push --------------------------------------------------------------------------------------------------------


def queue_push(session: Session, rep: RepProfile, activity_id: int, lead_id: int, now: dt.datetime) -> None:
    """A call logged in Slack: its push to HubSpot, written with it (nothing when HubSpot isn't connected).

    One statement whether connected or not (INSERT ... SELECT ... WHERE the connection is active): it runs with
    every call.
    """
    row = {"team_id": rep.team_id, "user_id": rep.user_id, "lead_id": lead_id, "due_at": now, "created_at": now}
    row |= {"dedupe_key": f"{PUSH}:{activity_id}", "payload": {"activity_id": activity_id}}
    session.execute(_push_if_connected(session.get_bind().dialect.name), row)


@functools.cache
def _push_if_connected(dialect: str) -> Any:
    nudge, connection = Nudge.__table__, CrmConnection.__table__
    given = ("team_id", "user_id", "lead_id", "due_at", "dedupe_key", "payload", "created_at")
    values = [bindparam(name, type_=nudge.c[name].type) for name in given]
    constant = {"kind": PUSH, "status": "pending", "tries": 0}
    values += [literal(value, nudge.c[name].type) for name, value in constant.items()]
    active = exists().where(connection.c.team_id == bindparam("team_id"), connection.c.status == "active")
    rows = select(*values).where(active)
    statement = upsert_insert(dialect)(nudge).from_select([*given, *constant], rows)
    return statement.on_conflict_do_nothing(index_elements=["dedupe_key"])


def decide_push(
    accounts: Accounts, db: Database, reps: RepDirectory, session: Session, nudge: Nudge, now: dt.datetime
) -> Decision:
    """What pushing a call takes: the HubSpot call's properties and association, and the work that sends it."""
    row = session.get(CrmConnection, nudge.team_id)
    if row is None or row.status == "disconnected":
        return Decision(cancel_reason="HubSpot not connected")
    if row.status != "active":
        return Decision(defer_until=now + REVOKED_WAIT)
    payload = nudge.payload or {}
    activity = session.get(Activity, int(payload.get("activity_id") or 0))
    if activity is None or activity.team_id != nudge.team_id:
        return Decision(cancel_reason="call gone")
    if session.scalar(select(CrmCall.id).where(CrmCall.activity_id == activity.id)) is not None:
        return Decision(cancel_reason="already in HubSpot")
    lead = session.get(Lead, activity.lead_id) if activity.lead_id else None
    link = session.get(CrmLead, lead.id) if lead is not None else None
    # A call waits for the rep's choice of record a day at most; then it goes without an association.
    waited = bool(payload.get("unassociated_ok")) or now - nudge.created_at >= CHOICE_WAIT
    if link is not None and link.kind == "ambiguous" and not waited:
        return Decision(defer_until=nudge.created_at + CHOICE_WAIT)
    owner = session.get(CrmOwner, (activity.team_id, activity.user_id))
    rep = session.get(Rep, (activity.team_id, activity.user_id))
    team = session.get(Team, activity.team_id)
    language = profile_of(rep, team).language if rep is not None and team is not None else "en"
    properties = _call_properties(activity, lead, owner, row, language)
    client = accounts.client(row)
    if client is None:
        return Decision(defer_until=now + REVOKED_WAIT)
    associate = (link.kind, link.object_id) if link is not None and link.object_id else None
    need_fields = link is None or not link.fields
    match = lead.name if lead is not None and link is None else None
    team_id, user_id = activity.team_id, activity.user_id
    # Plain values only in the work below: it runs after this session has ended.
    retried, unassociated_ok = nudge.tries > 0, waited

    def push() -> dict[str, Any]:
        try:
            target = associate
            if match is not None:
                found = client.find(match)
                exact = [f for f in found if f.name.casefold() == match.casefold()]
                chosen = exact if len(exact) == 1 else found
                if len(chosen) == 1:
                    target = (chosen[0].kind, chosen[0].id)
                    result: dict[str, Any] = {"lead": [chosen[0].kind, chosen[0].id, chosen[0].name]}
                elif len(chosen) > 1 and not unassociated_ok:
                    choices = [[f.kind, f.id, f.name] for f in chosen[:5]]
                    return {"ambiguous": choices}
                else:
                    result = {"lead": ["none", None, None]} if not chosen else {}
            else:
                result = {}
            if "hubspot_owner_id" not in properties:
                # A rep not matched yet: their HubSpot user by their Slack email, remembered with the push.
                email = reps.email(team_id, user_id)
                owner_id = client.owner_by_email(email) if email else None
                if owner_id:
                    properties["hubspot_owner_id"] = owner_id
                    result["owner"] = [owner_id, email]
            if target is not None and need_fields:
                # The record's key fields, kept for the lead card (which must not wait on HubSpot).
                result["fields"] = key_fields(target[0], client.records(target[0], [target[1]]).get(target[1]) or {})
            # A push that may have gone through before (its answer lost) is found, not made twice.
            call_id = client.find_call(properties[MARKER]) if retried else None
            call_id = call_id or client.create_call(properties, target)
            return {**result, "id": call_id, "disposition": properties.get("hs_call_disposition", "")}
        except HubSpotError as err:
            if err.unauthorized:
                _revoked(db, team_id, err, now)
                raise TryLater("hubspot_unauthorized", now + REVOKED_WAIT) from err
            if err.status == 429:
                raise TryLater("hubspot_ratelimited", now + dt.timedelta(seconds=err.retry_after or 10)) from err
            if err.transient:
                raise TryLater(f"hubspot_{err.status}") from err
            raise CannotDeliver(f"HubSpot refused the call: {err}") from err

    return Decision(perform=push)


def _call_properties(
    activity: Activity, lead: Lead | None, owner: CrmOwner | None, row: CrmConnection, language: str
) -> dict[str, str]:
    """The HubSpot call of one of our calls: when, who, outcome, and our note and flags in its body."""
    flags = []
    if activity.researched:
        flags.append(t(language, "crm.body_researched"))
    if activity.decision_maker:
        flags.append(t(language, "crm.body_dm"))
    outcome = Outcome(activity.outcome)
    body = [t(language, "crm.body", outcome=_plain(blockkit.outcome_name(language, outcome)), attempt=activity.attempt)]
    if flags:
        body.append(", ".join(flags))
    if activity.note:
        body.append(html.escape(activity.note))
    properties = {
        "hs_timestamp": activity.started_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "hs_call_direction": "OUTBOUND",
        "hs_call_status": "COMPLETED",
        "hs_call_title": t(language, "crm.title", lead=lead.name if lead else "-")[:250],
        "hs_call_body": "<br>".join(_plain(line) for line in body),
        MARKER: f"{activity.team_id}:{activity.id}",
    }
    disposition = row.outcomes.get(outcome.value)
    if disposition:
        properties["hs_call_disposition"] = disposition
    if owner is not None:
        properties["hubspot_owner_id"] = owner.owner_id
    return properties


def _plain(text: str) -> str:
    """Catalog text without Slack's mrkdwn marks (HubSpot shows the body as it is)."""
    return blockkit.unescape(text.replace("*", ""))


def after_push(session: Session, nudge: Nudge, now: dt.datetime) -> None:
    """A push done, in the transaction that marks it sent: keep the HubSpot id, the lead's record, or ask the rep."""
    result = (nudge.payload or {}).get("result") or {}
    activity_id = int((nudge.payload or {}).get("activity_id") or 0)
    if result.get("owner") and nudge.user_id:
        owner_id, email = result["owner"]
        insert_ignore(
            session,
            CrmOwner,
            team_id=nudge.team_id,
            user_id=nudge.user_id,
            owner_id=owner_id,
            email=email,
            by_manager=False,
        )
    if nudge.lead_id and result.get("lead"):
        kind, object_id, label = result["lead"]
        if session.get(CrmLead, nudge.lead_id) is None:
            session.add(
                CrmLead(lead_id=nudge.lead_id, team_id=nudge.team_id, kind=kind, object_id=object_id, label=label)
            )
            session.flush()
    if nudge.lead_id and result.get("fields"):
        link = session.get(CrmLead, nudge.lead_id)
        if link is not None and link.object_id:
            link.fields = result["fields"]
    if result.get("ambiguous"):
        link = session.get(CrmLead, nudge.lead_id)
        if link is None:
            link = CrmLead(lead_id=nudge.lead_id, team_id=nudge.team_id, kind="ambiguous")
            session.add(link)
        link.choices = result["ambiguous"]
        rep = (nudge.team_id, nudge.user_id)
        outbox.schedule(
            session, nudge.team_id, CHOOSE, now, f"{CHOOSE}:{nudge.lead_id}", now, user_id=rep[1], lead_id=nudge.lead_id
        )
        # The call waits for the choice, a day at most; then it goes without an association.
        outbox.schedule(
            session,
            nudge.team_id,
            PUSH,
            now + CHOICE_WAIT,
            f"{PUSH}:{activity_id}:after-choice",
            now,
            user_id=nudge.user_id,
            lead_id=nudge.lead_id,
            payload={"activity_id": activity_id, "unassociated_ok": True},
        )
        return
    if result.get("id"):
        insert_ignore(
            session,
            CrmCall,
            team_id=nudge.team_id,
            hubspot_id=str(result["id"]),
            activity_id=activity_id,
            origin="pushed",
            disposition=result.get("disposition") or None,
            deleted=False,
        )


def choose_message(session: Session, nudge: Nudge, rep: RepProfile) -> Decision:
    """The DM that asks a rep which HubSpot record a lead is, one button a record."""
    link = session.get(CrmLead, nudge.lead_id)
    lead = session.get(Lead, nudge.lead_id)
    if link is None or lead is None or link.kind != "ambiguous" or not link.choices:
        return Decision(cancel_reason="lead matched")
    lang = rep.language
    kinds = {"companies": t(lang, "crm.company"), "contacts": t(lang, "crm.contact")}
    buttons = [
        blockkit.button(f"{name} ({kinds[kind]})"[:75], CHOOSE_ACTION, f"{lead.id}:{kind}:{object_id}")
        for kind, object_id, name in link.choices
    ]
    buttons.append(blockkit.button(t(lang, "crm.choose_none"), CHOOSE_ACTION, f"{lead.id}:none:-"))
    text = t(lang, "crm.choose", lead=blockkit.escape(lead.name))
    blocks = [blockkit.section(text), {"type": "actions", "block_id": f"crm_choose:{lead.id}", "elements": buttons}]
    return Decision(message={"text": text, "blocks": blocks}, user_id=rep.user_id)


def choose(rt: Runtime, team_id: str, user_id: str, value: str) -> dict[str, Any]:
    """A rep's button: the lead is this HubSpot record (or none); its waiting calls go now. The message it replaces."""
    rep = rt.reps.profile(team_id, user_id)
    lang = rep.language
    lead_id, kind, object_id = (value.split(":", 2) + ["", ""])[:3]
    with rt.db.transaction() as session:
        link = session.get(CrmLead, int(lead_id)) if lead_id.isdigit() else None
        lead = session.get(Lead, link.lead_id) if link is not None else None
        if link is None or lead is None or link.team_id != team_id:
            return {"text": t(lang, "crm.choice_gone")}
        if link.kind != "ambiguous":
            return {
                "text": t(
                    lang, "crm.chosen", lead=blockkit.escape(lead.name), record=blockkit.escape(link.label or "-")
                )
            }
        picked = next((c for c in link.choices or [] if c[0] == kind and c[1] == object_id), None)
        link.kind, link.object_id, link.label = (picked[0], picked[1], picked[2]) if picked else ("none", None, None)
        link.choices = None
        session.execute(
            update(Nudge)
            .where(Nudge.team_id == team_id, Nudge.kind == PUSH, Nudge.lead_id == lead.id, Nudge.status == "pending")
            .values(due_at=rt.clock())
        )
        label = link.label or t(lang, "crm.no_record")
        return {"text": t(lang, "crm.chosen", lead=blockkit.escape(lead.name), record=blockkit.escape(label))}


# -- pull --------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class SyncReport:
    """What one pass did, for the CLI and the log."""

    pages: int = 0
    seen: int = 0
    recorded: int = 0
    corrected: int = 0
    removed: int = 0
    ours: int = 0
    no_rep: int = 0
    no_outcome: int = 0
    no_lead: int = 0
    requests: int = 0
    stopped: str | None = None  # why the pass ended early (429, 5xx, a refused token)

    def __str__(self) -> str:
        text = (
            f"{self.seen} calls read in {self.pages} pages: {self.recorded} recorded, {self.corrected} corrected, "
            f"{self.removed} removed, {self.ours} pushed by us; skipped {self.no_rep} of no known rep, "
            f"{self.no_outcome} without an outcome we know, {self.no_lead} without a company or contact"
        )
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")


Progress = Callable[[int, int], None]  # (calls read so far, calls to read in all)


def sync_all(rt: Runtime, since: dt.datetime | None = None, progress: Progress | None = None) -> dict[str, SyncReport]:
    """One pull pass for every connected workspace (and the environment's, in single-workspace mode)."""
    if rt.crm.env_token and rt.crm.enabled:
        _environment_workspace(rt)
    with rt.db.read() as session:
        teams = list(session.scalars(select(Team.id)))
    for team_id in teams:
        connect_from_environment(rt, team_id)
    with rt.db.read() as session:
        active = list(session.scalars(select(CrmConnection.team_id).where(CrmConnection.status == "active")))
    return {team_id: sync(rt, team_id, since, progress) for team_id in active}


def sync(rt: Runtime, team_id: str, since: dt.datetime | None = None, progress: Progress | None = None) -> SyncReport:
    """Pull one workspace's calls changed since its cursor (or `since`), page by page, each page durable."""
    report = SyncReport()
    with rt.db.transaction() as session:
        row = connected(session, team_id)
        if row is None:
            return report
        if since is not None:
            row.cursor, row.cursor_after = since, None
        client = rt.crm.client(row)
    if client is None:
        return report
    try:
        match_owners(rt, client, team_id)
        _pull_pages(rt, client, team_id, report, progress)
        _remove_deleted(rt, client, team_id, report)
    except HubSpotError as err:
        report.stopped = f"HubSpot {err.status} {err.category}"
        if err.unauthorized:
            _revoked(rt.db, team_id, err, rt.clock())
        else:
            log.warning("HubSpot sync of %s stopped; the next pass resumes: %s", team_id, err)
    except IntegrityError:
        # Another pass (the clock's, and a `sync-crm` at the same time) recorded this page first: its transaction
        # rolled back whole, and the next pass goes on from the cursor the other one stored.
        report.stopped = "another sync recorded the same calls first"
        log.warning("HubSpot sync of %s met another pass; the next pass resumes", team_id)
    with rt.db.transaction() as session:
        row = session.get(CrmConnection, team_id)
        if row is not None:
            row.synced_at = rt.clock()
            row.pulled += report.recorded
            row.last_error = report.stopped
    return report


def _pull_pages(rt: Runtime, client: HubSpot, team_id: str, report: SyncReport, progress: Progress | None) -> None:
    total = None
    while True:
        with rt.db.read() as session:
            row = session.get(CrmConnection, team_id)
            assert row is not None and row.cursor is not None
            cursor, after = row.cursor, row.cursor_after
        page = client.calls_changed(cursor, after)
        report.pages += 1
        if total is None:
            total = page.total
        if not page.calls:
            return
        prepared = _prepare_page(rt, client, team_id, page.calls)
        last = max(_moment(c["properties"].get("hs_lastmodifieddate")) or cursor for c in page.calls)
        if page.after is None:
            next_cursor, next_after = last, None
        elif last > cursor:
            # Filter again from the newest change read: no offset to shift when calls change while we read.
            next_cursor, next_after = last, None
        elif int(page.after) + 200 <= SEARCH_WINDOW:
            next_cursor, next_after = cursor, page.after  # a page all of one millisecond: page on within it
        else:
            next_cursor, next_after = last + dt.timedelta(milliseconds=1), None
        with rt.db.transaction() as session:
            for call in page.calls:
                _take(session, team_id, call, prepared, report)
            stored = session.get(CrmConnection, team_id)
            if stored is None or stored.status != "active":
                return
            stored.cursor, stored.cursor_after = next_cursor, next_after
        report.seen += len(page.calls)
        if progress is not None:
            progress(report.seen, max(total or 0, report.seen))
        if page.after is None:
            return


@dataclasses.dataclass(frozen=True)
class _Prepared:
    """What a page of calls needs from outside its transaction."""

    owners: dict[str, RepProfile]  # HubSpot owner id -> rep
    outcomes: dict[str, Outcome | None]  # call id -> our outcome
    leads: dict[str, tuple[str, str, str, dict[str, str] | None]]  # call id -> (kind, record id, name, key fields)
    known: set[str]  # call ids we have already


def _prepare_page(rt: Runtime, client: HubSpot, team_id: str, calls: list[dict[str, Any]]) -> _Prepared:
    """Everything a page needs from outside its transaction: reps, outcomes, and each new call's lead."""
    with rt.db.read() as session:
        known = set(
            session.scalars(
                select(CrmCall.hubspot_id).where(
                    CrmCall.team_id == team_id, CrmCall.hubspot_id.in_([c["id"] for c in calls])
                )
            )
        )
        row = session.get(CrmConnection, team_id)
        assert row is not None
        labels, mapping = dict(row.labels), dict(row.outcomes)
        owner_reps = {
            o.owner_id: o.user_id for o in session.scalars(select(CrmOwner).where(CrmOwner.team_id == team_id))
        }
    fresh = [c for c in calls if c["id"] not in known and not c["properties"].get(MARKER)]
    owners: dict[str, RepProfile] = {}
    for call in fresh:
        owner = call["properties"].get("hubspot_owner_id") or ""
        if owner in owner_reps and owner not in owners:
            owners[owner] = rt.reps.profile(team_id, owner_reps[owner])
    outcomes = {c["id"]: outcome_of(c["properties"].get("hs_call_disposition"), labels, mapping) for c in calls}
    wanted = [c["id"] for c in fresh if c["properties"].get("hubspot_owner_id") in owners and outcomes[c["id"]]]
    leads: dict[str, tuple[str, str, str, dict[str, str] | None]] = {}
    if wanted:
        linked = client.call_associations(wanted)
        by_kind: dict[str, set[str]] = {}
        for kind, object_id in linked.values():
            by_kind.setdefault(kind, set()).add(object_id)
        names: dict[tuple[str, str], str] = {}
        with rt.db.read() as session:
            for link in session.scalars(
                select(CrmLead).where(CrmLead.team_id == team_id, CrmLead.object_id.is_not(None))
            ):
                if link.object_id in by_kind.get(link.kind, ()):
                    lead = session.get(Lead, link.lead_id)
                    if lead is not None:
                        names[(link.kind, str(link.object_id))] = lead.name
        fields: dict[tuple[str, str], dict[str, str]] = {}
        for kind, ids in by_kind.items():
            missing = sorted(i for i in ids if (kind, i) not in names)
            for object_id, properties in client.records(kind, missing).items():
                names[(kind, object_id)] = _record_name(kind, properties)
                fields[(kind, object_id)] = key_fields(kind, properties)
        for call_id, (kind, object_id) in linked.items():
            if names.get((kind, object_id)):
                leads[call_id] = (kind, object_id, names[(kind, object_id)], fields.get((kind, object_id)))
    return _Prepared(owners, outcomes, leads, known)


def key_fields(kind: str, properties: dict[str, Any]) -> dict[str, str]:
    """A record's key fields with a value, in the order the lead card shows them."""
    order = COMPANY_FIELDS if kind == "companies" else CONTACT_FIELDS
    return {name: str(properties[name]) for name in order if properties.get(name) not in (None, "")}


def _record_name(kind: str, properties: dict[str, Any]) -> str:
    if kind == "companies":
        return str(properties.get("name") or "").strip()
    return " ".join(p for p in (properties.get("firstname"), properties.get("lastname")) if p).strip()


def _take(
    session: Session,
    team_id: str,
    call: dict[str, Any],
    prepared: _Prepared,
    report: SyncReport,
) -> None:
    """One call read from HubSpot: recorded, corrected, or known already."""
    from bot.usecases.calls import log_call  # calls queues pushes through this module

    properties = call["properties"]
    disposition = properties.get("hs_call_disposition") or None
    owners, outcomes, leads = prepared.owners, prepared.outcomes, prepared.leads
    known = None
    if call["id"] in prepared.known:  # a new call costs no query to find it isn't known
        known = session.scalar(select(CrmCall).where(CrmCall.team_id == team_id, CrmCall.hubspot_id == call["id"]))
    if known is not None:
        if known.deleted or known.disposition == disposition:
            return
        known.disposition = disposition
        outcome = outcomes.get(call["id"])
        if known.activity_id is not None and outcome is not None and _correct(session, known.activity_id, outcome):
            report.corrected += 1
        return
    marker = str(properties.get(MARKER) or "")
    if marker:
        # One of ours, pushed before its push was marked done: linked to its call here, never recorded again.
        report.ours += 1
        marker_team, _, activity_id = marker.rpartition(":")
        activity = session.get(Activity, int(activity_id)) if activity_id.isdigit() else None
        if marker_team == team_id and activity is not None and activity.team_id == team_id:
            insert_ignore(
                session,
                CrmCall,
                team_id=team_id,
                hubspot_id=call["id"],
                activity_id=activity.id,
                origin="pushed",
                disposition=disposition,
                deleted=False,
            )
        return
    rep = owners.get(properties.get("hubspot_owner_id") or "")
    outcome = outcomes.get(call["id"])
    if rep is None:
        report.no_rep += 1
        return
    if outcome is None:
        report.no_outcome += 1
        return
    lead = leads.get(call["id"])
    if lead is None:
        report.no_lead += 1
        return
    when = _moment(properties.get("hs_timestamp")) or _moment(properties.get("hs_lastmodifieddate"))
    assert when is not None
    note = _note(properties.get("hs_call_body"))
    logged = log_call(
        session, rep, CallCommand(lead[2][:200], outcome, False, False, note), when, source="hubspot", live=False
    )
    # Backdated, so behind the posts' folded figures: its lead is folded again (never needed for a live /call).
    persistence.changed(session, team_id, logged.lead_id, when)
    session.add(
        CrmCall(
            team_id=team_id,
            hubspot_id=call["id"],
            activity_id=logged.activity_id,
            origin="pulled",
            disposition=disposition,
            deleted=False,
        )
    )
    link = session.get(CrmLead, logged.lead_id)
    if link is None:
        link = CrmLead(lead_id=logged.lead_id, team_id=team_id, kind=lead[0], object_id=lead[1], label=lead[2])
        session.add(link)
    if lead[3] and link.object_id == lead[1]:
        link.fields = lead[3]
    report.recorded += 1


def _note(body: Any) -> str:
    """A HubSpot call body (HTML) as one line of plain text."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", str(body or "")))
    text = "".join(ch for ch in text if ch.isprintable())
    return " ".join(text.split())[:1000]


def _moment(value: Any) -> dt.datetime | None:
    if not value:
        return None
    text = str(value)
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text) / 1000, dt.UTC)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def _day_delta(session: Session, activity: Activity, sign: int, outcome: str | None = None) -> None:
    """Add (+1) or take back (-1) a call's conversation and meeting counts in its rep's day (rep_days)."""
    outcome = outcome or activity.outcome
    conversation = Outcome(outcome) in CONVERSATIONS
    key = (activity.team_id, activity.user_id, activity.started_at.astimezone(dt.UTC).date())
    day = session.get(RepDay, key)
    if day is None:
        return
    day.conversations += sign * int(conversation)
    day.dm_conversations += sign * int(conversation and activity.decision_maker)
    day.meetings += sign * int(outcome == Outcome.MEETING.value)


def _correct(session: Session, activity_id: int, outcome: Outcome) -> bool:
    """A call's outcome corrected in HubSpot: ours follows, in the activity, its day and its lead."""
    activity = session.get(Activity, activity_id)
    if activity is None or activity.outcome == outcome.value:
        return False
    _day_delta(session, activity, -1)
    _day_delta(session, activity, +1, outcome.value)
    activity.outcome = outcome.value
    persistence.changed(session, activity.team_id, activity.lead_id, activity.started_at)
    lead = session.get(Lead, activity.lead_id) if activity.lead_id else None
    if lead is not None and lead.last_attempt_at == activity.started_at:
        lead.last_outcome = outcome.value
        if outcome.reached and lead.cadence in ("active", "exhausted"):
            lead.cadence, lead.reached_at, lead.unreached_attempts = "reached", activity.started_at, 0
            outbox.cancel_followups(session, lead.team_id, lead.id, "reached, corrected in HubSpot")
    entries_changed(session, activity.team_id, activity.user_id, at=activity.started_at)
    return True


def _remove_deleted(rt: Runtime, client: HubSpot, team_id: str, report: SyncReport) -> None:
    """Calls deleted in HubSpot that we pulled: removed here (their rows stay, marked, so they never come back)."""
    after = None
    while True:
        ids, after = client.archived_calls(after)
        if ids:
            with rt.db.transaction() as session:
                for known in session.scalars(
                    select(CrmCall).where(
                        CrmCall.team_id == team_id, CrmCall.hubspot_id.in_(ids), CrmCall.deleted.is_(False)
                    )
                ):
                    known.deleted = True
                    if known.origin == "pulled" and known.activity_id is not None:
                        _remove(session, known.activity_id)
                        known.activity_id = None
                        report.removed += 1
        if not after:
            return


def _remove(session: Session, activity_id: int) -> None:
    activity = session.get(Activity, activity_id)
    if activity is None:
        return
    _day_delta(session, activity, -1)
    day = session.get(RepDay, (activity.team_id, activity.user_id, activity.started_at.astimezone(dt.UTC).date()))
    if day is not None:
        day.dials -= 1
        day.researched_calls -= int(activity.researched)
        if activity.attempt and 2 <= activity.attempt <= 10:
            setattr(day, f"attempt_{activity.attempt}", getattr(day, f"attempt_{activity.attempt}") - 1)
    lead = session.get(Lead, activity.lead_id) if activity.lead_id else None
    if lead is not None:
        lead.attempts = max(0, lead.attempts - 1)
    if activity.kind == ActivityKind.CALL.value:
        persistence.changed(session, activity.team_id, activity.lead_id, activity.started_at)
    session.delete(activity)
    entries_changed(session, activity.team_id, activity.user_id, at=activity.started_at)


# -- the lead card -----------------------------------------------------------------------------------------------


def lead_card_section(rt: Runtime, rep: RepProfile, lead: Lead) -> blockkit.CrmSection | None:
    """The lead's HubSpot record on its card (bot.usecases.leadcard.CRM_LOOKUPS): stored fields, no HubSpot call."""
    record = lead_record(rt.crm, rt.db, lead.team_id, lead.id)
    if record is None:
        return None
    lang = rep.language
    named = ("name", "firstname", "lastname")  # the record's name leads the section already
    fields = tuple((t(lang, f"crm.field_{n}"), value) for n, value in record.fields.items() if n not in named)
    kind = t(lang, "crm.company" if record.kind == "companies" else "crm.contact")
    return blockkit.CrmSection("HubSpot", ((kind.capitalize(), record.name), *fields), record.url)
