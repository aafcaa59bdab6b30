"""The CRM: HubSpot's API as the coach uses it, the tokens kept for it, and the HubSpot stand-in.

- `hubspot`: `HubSpot`, one account's API through the official hubspot-api-client, aimed at `HUBSPOT_API_URL`;
  every failure a `HubSpotError` saying whether a retry may cure it.
- `accounts`: `Accounts`, each workspace's connection: its token encrypted at rest with Fernet
  (`SALESCOACH_SECRET_KEY`), connecting (the token checked first), and the client of a workspace.
- `records`: `lead_record`, a lead's HubSpot company or contact (key fields and link) for the lead card.
- `standin`: a local HubSpot (a real HTTP server) for the tests, the demo and the benchmark.

May import `bot.storage`; imported by `bot.usecases` and the wiring. Nothing here decides what a call becomes:
pushing and pulling are `bot.usecases.crm`'s.
"""
