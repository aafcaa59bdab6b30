"""A local HubSpot stand-in: a real HTTP server on 127.0.0.1 that answers the bot's CRM calls as HubSpot would.

The tests, the demo and the benchmark share it. It plays one HubSpot account (`portal`: calls, companies, contacts,
owners, call dispositions, the account's own properties) behind HubSpot's published API (developers.hubspot.com,
and the OpenAPI specs hubspot-api-client is generated from):

- Bearer authentication with the private-app tokens it lets in; anything else (or a `revoke`d token) gets 401
  `INVALID_AUTHENTICATION` with HubSpot's error body;
- `/crm/v3/objects/{calls,companies,contacts}`: create, read, update, archive (DELETE), list (`archived=true` for
  the deleted), batch read, and search (`filterGroups` of filters with HubSpot's operators, one sort, `query`,
  `limit` up to 200, paging by `after` up to HubSpot's 10,000-result window);
- associations: the `associations` of a create, v4 `PUT .../associations/default/...` and v4 batch read;
- `GET /calling/v1/dispositions`, `GET /crm/v3/owners`, `/crm/v3/properties/calls` (a property with
  `hasUniqueValue` takes each value once: 409 CONFLICT), `GET /account-info/v3/details`;
- writes checked as HubSpot checks them: unknown properties, values outside a property's options (direction,
  status, disposition, owner), a call without `hs_timestamp`, a search beyond its limits: 400 VALIDATION_ERROR;
- OAuth for a public app (`oauth.register(client_id, secret, redirect_url)`): the authorize page at
  `/oauth/authorize` (302 back with a code, or `error=access_denied` when `oauth.deny`), `POST /oauth/v1/token`
  (both grants, HubSpot's 400 bodies), `GET /oauth/v1/access-tokens/{token}`; access tokens expire by `clock`
  (401 EXPIRED_AUTHENTICATION), and `oauth.revoke_refresh` makes a refresh token stop working;
- `fail(path, 429 | 5xx)`: HubSpot's rate-limit body and X-HubSpot-RateLimit-* headers (Retry-After when asked),
  or a 5xx, before or after (`after=True`) the request was carried out.

Its time is `clock` (a test's or the demo's); it records how many requests each route got (`counts`).
"""

from bot.crm.standin.portal import CALL_TO_COMPANY, CALL_TO_CONTACT, STANDARD_DISPOSITIONS, Portal
from bot.crm.standin.server import HubSpotStandIn

__all__ = ["CALL_TO_COMPANY", "CALL_TO_CONTACT", "STANDARD_DISPOSITIONS", "HubSpotStandIn", "Portal"]
