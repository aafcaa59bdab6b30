"""The HubSpot account a stand-in plays: its objects (calls, companies, contacts), owners, dispositions, properties.

Shapes follow HubSpot's published API (developers.hubspot.com, the OpenAPI specs behind hubspot-api-client): an
object is `{"id", "properties", "createdAt", "updatedAt", "archived"}` with `hs_object_id`, `hs_createdate` and
`hs_lastmodifieddate` kept by HubSpot itself; date-time properties read back in ISO 8601 UTC with milliseconds
(a write may give milliseconds since the epoch or ISO 8601).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# HubSpot's standard call dispositions: the ids every account has (calling/v1/dispositions).
STANDARD_DISPOSITIONS = {
    "9d9162e7-6cf3-4944-bf63-4dff82258764": "Busy",
    "f240bbac-87c9-4f6e-bf70-924b57d47db7": "Connected",
    "a4c4c377-d246-4b32-a13b-75a56a4cd0ff": "Left live message",
    "b2cf5968-551e-4856-9783-52b3da59a7d0": "Left voicemail",
    "73a0d17f-1163-4015-bdd5-ec830791da20": "No answer",
    "17b47fee-58de-441e-a44c-c6300d46f273": "Wrong number",
}

# HUBSPOT_DEFINED association type ids from a call (v4 associations).
CALL_TO_CONTACT = 194
CALL_TO_COMPANY = 182
ASSOCIATION_TYPES = {CALL_TO_CONTACT: "contacts", CALL_TO_COMPANY: "companies"}

# The properties HubSpot defines on each object type the stand-in serves (a write naming another fails).
CALL_PROPERTIES = frozenset(
    {
        "hs_timestamp",
        "hs_call_body",
        "hs_call_title",
        "hs_call_direction",
        "hs_call_disposition",
        "hs_call_status",
        "hs_call_duration",
        "hs_call_from_number",
        "hs_call_to_number",
        "hs_call_recording_url",
        "hs_call_callee_object_id",
        "hs_call_callee_object_type",
        "hubspot_owner_id",
        "hs_attachment_ids",
    }
)
COMPANY_PROPERTIES = frozenset(
    {
        "name",
        "domain",
        "industry",
        "city",
        "country",
        "phone",
        "lifecyclestage",
        "numberofemployees",
        "hubspot_owner_id",
    }
)
CONTACT_PROPERTIES = frozenset(
    {"firstname", "lastname", "email", "phone", "jobtitle", "company", "lifecyclestage", "hubspot_owner_id"}
)
READ_ONLY = frozenset({"hs_object_id", "hs_createdate", "hs_lastmodifieddate"})
CALL_DIRECTIONS = frozenset({"INBOUND", "OUTBOUND"})
CALL_STATUSES = frozenset({"BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED", "CONNECTING", "FAILED"})
CALL_STATUSES |= {"IN_PROGRESS", "MISSED", "NO_ANSWER", "QUEUED", "RINGING"}


def iso(moment: dt.datetime) -> str:
    """A moment as HubSpot writes a date-time (`createdAt`, `hs_lastmodifieddate`, `hs_timestamp`)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Record:
    """One CRM object."""

    id: str
    properties: dict[str, str]
    created: dt.datetime
    updated: dt.datetime
    archived_at: dt.datetime | None = None
    associations: dict[str, set[str]] = field(default_factory=dict)  # object type -> ids

    def public(self, names: list[str] | None, defaults: frozenset[str]) -> dict[str, Any]:
        """The object as the API answers it: the asked-for properties (or the defaults) and HubSpot's own."""
        wanted = set(names or defaults) | READ_ONLY
        body: dict[str, Any] = {
            "id": self.id,
            "properties": {name: self.properties.get(name) for name in sorted(wanted)},
            "createdAt": iso(self.created),
            "updatedAt": iso(self.updated),
            "archived": self.archived_at is not None,
        }
        if self.archived_at is not None:
            body["archivedAt"] = iso(self.archived_at)
        return body


class Portal:
    """A HubSpot account's data.

    Methods named like what a person does in HubSpot (`log_call`, `archive`, ...) are how a test or the demo acts
    "in HubSpot"; the HTTP side (`server`) reads and writes the same objects.
    """

    def __init__(self, clock: Callable[[], dt.datetime], portal_id: int = 24681357) -> None:
        self.clock = clock
        self.portal_id = portal_id
        self.objects: dict[str, dict[str, Record]] = {"calls": {}, "companies": {}, "contacts": {}}
        self.owners: list[dict[str, Any]] = []
        self.dispositions = [{"id": k, "label": v, "deleted": False} for k, v in STANDARD_DISPOSITIONS.items()]
        self.custom: dict[str, dict[str, dict[str, Any]]] = {"calls": {}, "companies": {}, "contacts": {}}
        self._ids = itertools.count(70_000_000_001)

    # -- what a person does in HubSpot ------------------------------------------------------------------------

    def add_owner(self, email: str, first: str, last: str) -> str:
        """A HubSpot user who can own records; returns the owner id."""
        owner_id = str(100_000 + len(self.owners) + 1)
        now = iso(self.clock())
        self.owners.append(
            {
                "id": owner_id,
                "email": email,
                "type": "PERSON",
                "firstName": first,
                "lastName": last,
                "userId": 5_000_000 + len(self.owners),
                "userIdIncludingInactive": 5_000_000 + len(self.owners),
                "createdAt": now,
                "updatedAt": now,
                "archived": False,
                "teams": [],
            }
        )
        return owner_id

    def add_company(self, name: str, **properties: str) -> str:
        """A company record; returns its id."""
        return self.create("companies", {"name": name, **properties}).id

    def add_contact(self, first: str, last: str, **properties: str) -> str:
        """A contact record; returns its id."""
        return self.create("contacts", {"firstname": first, "lastname": last, **properties}).id

    def add_disposition(self, label: str) -> str:
        """A disposition of the account's own (Settings > Calling > Call outcomes); returns its id."""
        disposition_id = f"custom-{len(self.dispositions):04d}-{label.lower().replace(' ', '-')}"
        self.dispositions.append({"id": disposition_id, "label": label, "deleted": False})
        return disposition_id

    def log_call(self, owner_id: str, disposition: str, when: dt.datetime, associate: str | None = None, **more: str):
        """A rep logs a call in HubSpot (or their dialer does): returns the call's id."""
        properties = {
            "hs_timestamp": iso(when),
            "hs_call_direction": "OUTBOUND",
            "hs_call_disposition": disposition,
            "hs_call_status": "COMPLETED",
            "hubspot_owner_id": owner_id,
            **more,
        }
        call = self.create("calls", properties)
        if associate is not None:
            kind = "companies" if associate in self.objects["companies"] else "contacts"
            self.associate(call, kind, associate)
        return call.id

    def edit(self, kind: str, object_id: str, **properties: str) -> None:
        """Someone changes a record in HubSpot (e.g. corrects a call's outcome)."""
        record = self.objects[kind][object_id]
        record.properties.update(properties)
        self.touch(record)

    def archive(self, kind: str, object_id: str) -> None:
        """Someone deletes a record in HubSpot: it is archived (kept, flagged, out of search)."""
        record = self.objects[kind][object_id]
        record.archived_at = self.clock()
        self.touch(record)

    # -- what the API does -----------------------------------------------------------------------------------

    def create(self, kind: str, properties: dict[str, str]) -> Record:
        """Store a new object with HubSpot's own properties set."""
        now = self.clock()
        record_id = str(next(self._ids))
        record = Record(record_id, dict(properties), now, now)
        record.properties["hs_object_id"] = record_id
        record.properties["hs_createdate"] = iso(now)
        record.properties["hs_lastmodifieddate"] = iso(now)
        self.objects[kind][record_id] = record
        return record

    def touch(self, record: Record) -> None:
        """A change: HubSpot moves hs_lastmodifieddate (never backwards, even within one millisecond)."""
        now = max(self.clock(), record.updated)
        record.updated = now
        record.properties["hs_lastmodifieddate"] = iso(now)

    def associate(self, call: Record, kind: str, object_id: str) -> None:
        """Associate a call with a company or contact (both sides, as HubSpot does)."""
        call.associations.setdefault(kind, set()).add(object_id)
        self.objects[kind][object_id].associations.setdefault("calls", set()).add(call.id)

    def defined(self, kind: str) -> frozenset[str]:
        """Every property an object type has: HubSpot's and the account's own."""
        builtin = {"calls": CALL_PROPERTIES, "companies": COMPANY_PROPERTIES, "contacts": CONTACT_PROPERTIES}[kind]
        return builtin | READ_ONLY | frozenset(self.custom[kind])

    def live(self, kind: str) -> list[Record]:
        """The objects not archived, oldest id first."""
        return [record for record in self.objects[kind].values() if record.archived_at is None]

    def record_url(self, kind: str, object_id: str) -> str:
        """Where a person opens the record in HubSpot's app."""
        type_id = {"contacts": "0-1", "companies": "0-2", "calls": "0-48"}[kind]
        return f"https://app.hubspot.com/contacts/{self.portal_id}/record/{type_id}/{object_id}"
