"""A lead's HubSpot record for the lead card: the company or contact it was matched to, its key fields, its link.

`lead_record` reads what the sync remembered about the lead (bot.usecases.crm matches a lead by name once and
keeps the match in `crm_leads`) and asks HubSpot for the record's current fields: one request.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.crm.accounts import Accounts
from bot.crm.hubspot import COMPANY_FIELDS, CONTACT_FIELDS, HubSpotError
from bot.storage.database import Database
from bot.storage.models import CrmConnection, CrmLead


@dataclass(frozen=True)
class LeadRecord:
    """A lead's HubSpot company or contact."""

    kind: str  # companies|contacts
    name: str
    fields: dict[str, str]  # HubSpot property name -> value, key fields with a value only, in a fixed order
    url: str  # the record in HubSpot's app


def lead_record(accounts: Accounts, db: Database, team_id: str, lead_id: int) -> LeadRecord | None:
    """The lead's HubSpot record, or None: HubSpot not connected, the lead not matched, or HubSpot not answering."""
    with db.read() as session:
        link = session.get(CrmLead, lead_id)
        row = session.get(CrmConnection, team_id)
        if link is None or link.team_id != team_id or not link.object_id or link.kind not in ("companies", "contacts"):
            return None
        kind, object_id, label = link.kind, link.object_id, link.label or ""
        portal = row.portal_id if row is not None else None
        client = accounts.client(row)
    if client is None:
        return None
    try:
        found = client.records(kind, [object_id]).get(object_id)
    except HubSpotError:
        return None  # the card goes without HubSpot rather than wait on it
    if found is None:
        return None
    order = COMPANY_FIELDS if kind == "companies" else CONTACT_FIELDS
    fields = {name: str(found[name]) for name in order if found.get(name) not in (None, "")}
    return LeadRecord(kind, label, fields, client.record_url(portal or "", kind, object_id))
