"""The demo's Slack workspace: a small team (two reps and a manager), its #sales and its English #sales-international.

The stand-in plays it closed: only these people and channels exist (anyone else is `user_not_found`, any other
channel `channel_not_found`) and only the demo's own bot token is let in, so a wrong call by the bot shows.
"""

from __future__ import annotations

from typing import Any

from bot.crm.standin import Portal
from bot.slack.standin import Workspace

TEAM = "T0DEMO"
TEAM_DOMAIN = "salescoach-demo"
BOT_USER = "U0COACH"

USERS: dict[str, dict[str, Any]] = {
    "U0ANOUK": {
        "name": "anouk",
        "real_name": "Anouk de Vries",
        "tz": "Europe/Amsterdam",
        "locale": "nl-NL",
        "is_admin": False,
        "email": "anouk@salescoach-demo.example",
    },
    "U0SAM": {
        "name": "sam",
        "real_name": "Sam Carter",
        "tz": "Europe/London",
        "locale": "en-GB",
        "is_admin": False,
        "email": "sam@salescoach-demo.example",
    },
    # A rep in New York: Thursday 26 November 2026 is Thanksgiving there, a public holiday (the `holidays` package).
    "U0JORDAN": {
        "name": "jordan",
        "real_name": "Jordan Lee",
        "tz": "America/New_York",
        "locale": "en-US",
        "is_admin": False,
        "email": "jordan@salescoach-demo.example",
    },
    "U0PETRA": {
        "name": "petra",
        "real_name": "Petra Jansen",
        "tz": "Europe/Amsterdam",
        "locale": "nl-NL",
        "is_admin": True,
        "email": "petra@salescoach-demo.example",
    },
}
CHANNELS = {"C0SALES": "sales", "C0INTL": "sales-international"}


def workspace(token: str) -> Workspace:
    """The demo's workspace, letting in the bot's `token` only."""
    return Workspace(
        team_id=TEAM,
        team_domain=TEAM_DOMAIN,
        team_name="Sales Coach demo",
        users=USERS,
        channels=CHANNELS,
        tokens=frozenset({token}),
        unknown_users="user_not_found",
        bot_user_id=BOT_USER,
        bot_id="B0COACH",
    )


# The team's HubSpot, played by the HubSpot stand-in: each person is a HubSpot user by the same email, and the
# account knows some of the companies the reps call. The bot connects with HUBSPOT_ACCESS_TOKEN (single workspace).
HUBSPOT_COMPANIES = ("Acme BV", "Initech", "Bakkerij Jansen", "Kaasboerderij De Hoeve")


def hubspot_account(portal: Portal) -> dict[str, str]:
    """Fill the demo's HubSpot account; returns each person's owner id by user id."""
    owners = {}
    for user_id, person in USERS.items():
        first, _, last = person["real_name"].partition(" ")
        owners[user_id] = portal.add_owner(person["email"], first, last)
    for name in HUBSPOT_COMPANIES:
        portal.add_company(name)
    return owners
