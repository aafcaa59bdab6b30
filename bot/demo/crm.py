"""The demo's HubSpot checks, against the HubSpot stand-in's account.

Every call logged in Slack is in HubSpot once, with its rep as owner and on its company, and the call logged in
HubSpot arrived as a call of its rep.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.demo.harness import DemoBot
from bot.storage.models import Activity, Lead


def hubspot_failures(bot: DemoBot) -> list[str]:
    """What HubSpot and the coach disagree on, in words; empty when they agree."""
    portal = bot.hubspot.portal
    calls = [c for c in portal.objects["calls"].values() if c.archived_at is None]
    by_marker: dict[str, list] = {}
    for call in calls:
        if call.properties.get("salescoach_id"):
            by_marker.setdefault(call.properties["salescoach_id"], []).append(call)
    companies = {r.properties.get("name"): r.id for r in portal.live("companies")}
    failures = []
    with bot.runtime.db.read() as session:
        rows = session.execute(
            select(Activity, Lead).join(Lead, Lead.id == Activity.lead_id).where(Activity.kind == "call")
        ).all()
    pushed = pulled = 0
    for activity, lead in rows:
        if activity.source == "hubspot":
            pulled += 1
            continue
        found = by_marker.get(f"{activity.team_id}:{activity.id}", [])
        if len(found) != 1:
            failures.append(
                f"{lead.name} ({activity.started_at:%a %H:%M} UTC) is in HubSpot {len(found)} times, not once"
            )
            continue
        pushed += 1
        call = found[0]
        if call.properties.get("hubspot_owner_id") != bot.owners.get(activity.user_id):
            failures.append(f"{lead.name}'s call in HubSpot is not owned by the rep who made it")
        if lead.name in companies and call.associations.get("companies") != {companies[lead.name]}:
            failures.append(f"{lead.name}'s call in HubSpot is not on the company {lead.name}")
    if not pushed:
        failures.append("no call logged in Slack reached HubSpot")
    if pulled != 1:
        failures.append(f"{pulled} calls came from HubSpot, not the 1 logged there")
    return failures
