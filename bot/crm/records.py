"""A lead's HubSpot record for the lead card: the company or contact it was matched to, its key fields, its link.

The lead card is answered inside Slack's 3 seconds, so `lead_record` asks HubSpot nothing: it reads what the sync
stored about the lead (bot.usecases.crm matches a lead by name once and keeps the match, with the record's key
fields as last read from HubSpot, in `crm_leads`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.crm.accounts import Accounts
from bot.storage.database import Database
from bot.storage.models import CrmConnection, CrmLead


@dataclass(frozen=True)
class LeadRecord:
    """A lead's HubSpot company or contact."""

    kind: str  # companies|contacts
    name: str
    fields: dict[str, str]  # HubSpot property name -> value: the key fields with a value, in a fixed order
    url: str  # the record in HubSpot's app


def lead_record(accounts: Accounts, db: Database, team_id: str, lead_id: int) -> LeadRecord | None:
    """The lead's HubSpot record, or None: HubSpot not connected, or the lead matched to no record (yet)."""
    if not accounts.enabled:
        return None
    with db.read() as session:
        link = session.get(CrmLead, lead_id)
        row = session.get(CrmConnection, team_id)
        if row is None or row.status != "active" or link is None or link.team_id != team_id:
            return None
        if not link.object_id or link.kind not in ("companies", "contacts"):
            return None
        type_id = "0-2" if link.kind == "companies" else "0-1"
        url = f"https://app.hubspot.com/contacts/{row.portal_id}/record/{type_id}/{link.object_id}"
        return LeadRecord(link.kind, link.label or "", dict(link.fields or {}), url)
