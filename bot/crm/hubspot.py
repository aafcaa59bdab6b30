"""HubSpot's API as the coach uses it, through the official `hubspot-api-client`, aimed at `HUBSPOT_API_URL`.

Every failure becomes a `HubSpotError` carrying what the caller needs to decide: the HTTP status, HubSpot's error
category, and for a 429 how long to wait (Retry-After, else HubSpot's X-HubSpot-RateLimit-Interval-Milliseconds).
The client never retries on its own: the outbox and the sync's cursor decide when to try again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import hubspot
import requests
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.objects import (
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.properties import PropertyCreate

DEFAULT_API_URL = "https://api.hubapi.com"

# Our own call property: the activity a call was pushed from. HubSpot keeps it unique, so a push retried after an
# unclear failure can't create a second call (409), and the sync knows the calls it pushed itself.
MARKER = "salescoach_id"

CALL_PROPERTIES = [
    "hs_timestamp",
    "hs_call_body",
    "hs_call_title",
    "hs_call_direction",
    "hs_call_disposition",
    "hubspot_owner_id",
    "hs_lastmodifieddate",
    MARKER,
]
COMPANY_FIELDS = ["name", "domain", "industry", "city", "phone", "lifecyclestage", "numberofemployees"]
CONTACT_FIELDS = ["firstname", "lastname", "email", "jobtitle", "company", "phone", "lifecyclestage"]
PAGE = 200  # the most a search page holds
SEARCH_WINDOW = 10_000  # a search pages through at most this many results; then the filter moves on
ASSOCIATION_TYPE = {"companies": 182, "contacts": 194}  # HUBSPOT_DEFINED, from a call
TIMEOUT = 10
RENEW_BEFORE = dt.timedelta(minutes=5)  # an OAuth access token this close to expiring is renewed before a call


class HubSpotError(Exception):
    """A request HubSpot refused or didn't answer: `status` 0 when no answer came at all."""

    def __init__(self, status: int, category: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"HubSpot {status} {category}: {message}"[:300])
        self.status, self.category, self.message, self.retry_after = status, category, message, retry_after

    @property
    def unauthorized(self) -> bool:
        """The token is wrong, revoked or expired: no retry will cure it."""
        return self.status == 401

    @property
    def transient(self) -> bool:
        """A retry may succeed: rate limited, HubSpot's own trouble, or no answer."""
        return self.status in (0, 429) or self.status >= 500


@dataclass(frozen=True)
class Found:
    """A company or contact a lead may be."""

    kind: str  # companies|contacts
    id: str
    name: str


@dataclass(frozen=True)
class CallPage:
    """One page of calls changed since a moment, oldest change first."""

    calls: list[dict[str, Any]]  # {"id", "properties", "archived"}
    after: str | None  # where the next page starts, within the same filter
    total: int  # how many calls the filter finds in all


def _error(err: Exception) -> HubSpotError:
    status = int(getattr(err, "status", 0) or 0)
    body: Any = getattr(err, "body", None)
    try:
        parsed = json.loads(body) if body else {}
    except (TypeError, ValueError):
        parsed = {}
    if not isinstance(parsed, dict):
        parsed = {}
    headers = {k.lower(): v for k, v in dict(getattr(err, "headers", None) or {}).items()}
    wait = None
    if status == 429:
        if headers.get("retry-after", "").strip().isdigit():
            wait = float(headers["retry-after"])
        elif headers.get("x-hubspot-ratelimit-interval-milliseconds", "").isdigit():
            wait = int(headers["x-hubspot-ratelimit-interval-milliseconds"]) / 1000
        else:
            wait = 10.0
    category = str(parsed.get("category") or parsed.get("errorType") or ("NO_ANSWER" if not status else "ERROR"))
    message = str(parsed.get("message") or getattr(err, "reason", None) or type(err).__name__)
    return HubSpotError(status, category, message, wait)


# An expiring token's renewal: a fresh access token and when it expires (raises HubSpotError when refused).
Renew = Callable[[], tuple[str, dt.datetime]]


@dataclass(frozen=True)
class Expiry:
    """When an OAuth access token expires, the clock to read, and how to renew the token."""

    at: dt.datetime
    clock: Callable[[], dt.datetime]
    renew: Renew


def request(function: Any, *args: Any, errors: Callable[[Any], HubSpotError] = _error, **kwargs: Any) -> Any:
    """Call one of hubspot-api-client's generated methods; every failure a HubSpotError (`errors` reads its body)."""
    try:
        return function(*args, _request_timeout=TIMEOUT, **kwargs)
    except (OSError, requests.RequestException) as err:
        raise HubSpotError(0, "NO_ANSWER", type(err).__name__) from err
    except Exception as err:
        if hasattr(err, "status"):
            raise errors(err) from err
        raise


class HubSpot:
    """One account's HubSpot, by its access token; an OAuth token (`expiry`) is renewed before it expires."""

    def __init__(self, token: str, api_url: str = DEFAULT_API_URL, expiry: Expiry | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.expiry = expiry
        self._connect(token)

    def _connect(self, token: str) -> None:
        self._client = hubspot.Client.create(access_token=token, host=self.api_url, base_url=self.api_url)
        self._token = token

    @property
    def client(self) -> Any:
        """The generated client, its token renewed first when it is about to expire (every call goes through here)."""
        self._fresh()
        return self._client

    def __repr__(self) -> str:
        return f"HubSpot(api_url={self.api_url!r}, token=***)"

    def _fresh(self) -> None:
        """Renew an OAuth access token about to expire, before the call that would meet a 401."""
        expiry = self.expiry
        if expiry is None or expiry.clock() < expiry.at - RENEW_BEFORE:
            return
        token, expires_at = expiry.renew()
        self.expiry = Expiry(expires_at, expiry.clock, expiry.renew)
        self._connect(token)

    def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        return request(function, *args, **kwargs)

    def _raw(self, method: str, path: str) -> Any:
        """An endpoint the generated client doesn't cover (calling/v1/dispositions, account-info)."""
        self._fresh()
        try:
            response = requests.request(
                method,
                self.api_url + path,
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
                timeout=TIMEOUT,
            )
        except requests.RequestException as err:
            raise HubSpotError(0, "NO_ANSWER", type(err).__name__) from err
        if response.status_code >= 400:
            fake = type("Answer", (), {})()
            fake.status, fake.body, fake.headers, fake.reason = (
                response.status_code,
                response.text,
                response.headers,
                response.reason,
            )
            raise _error(fake)  # type: ignore[arg-type]
        return response.json()

    # -- the account ------------------------------------------------------------------------------------------

    def account(self) -> dict[str, Any]:
        """The account's id (portalId) and app domain: checks the token too."""
        return dict(self._raw("GET", "/account-info/v3/details"))

    def owners(self) -> list[dict[str, str]]:
        """Every owner: id, email, name."""
        owners, after = [], None
        while True:
            page = self._call(self.client.crm.owners.owners_api.get_page, limit=500, after=after)
            for owner in page.results:
                name = " ".join(p for p in (owner.first_name, owner.last_name) if p)
                owners.append({"id": str(owner.id), "email": owner.email or "", "name": name})
            after = page.paging.next.after if page.paging and page.paging.next else None
            if not after:
                return owners

    def owner_by_email(self, email: str) -> str | None:
        """The owner id of the HubSpot user with this email, if there is one."""
        page = self._call(self.client.crm.owners.owners_api.get_page, email=email, limit=1)
        return str(page.results[0].id) if page.results else None

    def dispositions(self) -> dict[str, str]:
        """The account's call outcomes: id -> label."""
        return {str(d["id"]): str(d["label"]) for d in self._raw("GET", "/calling/v1/dispositions")}

    def ensure_marker(self) -> None:
        """Create our unique call property, unless the account has it."""
        try:
            self._call(self.client.crm.properties.core_api.get_by_name, "calls", MARKER)
        except HubSpotError as err:
            if err.status != 404:
                raise
            definition = PropertyCreate(
                name=MARKER,
                label="Sales Coach id",
                type="string",
                field_type="text",
                group_name="callinformation",
                has_unique_value=True,
                description="The Sales Coach entry this call was logged from (set by Sales Coach).",
            )
            self._call(self.client.crm.properties.core_api.create, "calls", definition)

    # -- leads ------------------------------------------------------------------------------------------------

    def find(self, name: str) -> list[Found]:
        """Companies and contacts a lead's name may mean: word search on each, up to 10 of each."""
        found = []
        for kind, fields in (("companies", ["name"]), ("contacts", ["firstname", "lastname", "company"])):
            api = getattr(self.client.crm, kind).search_api
            request = PublicObjectSearchRequest(query=name, properties=fields, limit=10)
            for record in self._call(api.do_search, public_object_search_request=request).results:
                found.append(Found(kind, str(record.id), _label(kind, record.properties)))
        return found

    def records(self, kind: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Companies or contacts by id (100 a request): id -> properties."""
        out: dict[str, dict[str, Any]] = {}
        fields = COMPANY_FIELDS if kind == "companies" else CONTACT_FIELDS
        api = getattr(self.client.crm, kind).batch_api
        for start in range(0, len(ids), 100):
            request = BatchReadInputSimplePublicObjectId(
                inputs=[{"id": i} for i in ids[start : start + 100]], properties=fields, properties_with_history=[]
            )
            for record in self._call(api.read, batch_read_input_simple_public_object_id=request).results:
                out[str(record.id)] = dict(record.properties)
        return out

    def record_url(self, portal_id: int | str, kind: str, object_id: str) -> str:
        """Where the record opens in HubSpot."""
        type_id = "0-2" if kind == "companies" else "0-1"
        return f"https://app.hubspot.com/contacts/{portal_id}/record/{type_id}/{object_id}"

    # -- calls ------------------------------------------------------------------------------------------------

    def create_call(self, properties: dict[str, str], associate: tuple[str, str] | None) -> str:
        """Create a call engagement; returns its id. A 409 (our marker exists) finds the one created before."""
        associations = []
        if associate is not None:
            kind, object_id = associate
            associations = [
                {
                    "to": {"id": object_id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": ASSOCIATION_TYPE[kind]}],
                }
            ]
        body = SimplePublicObjectInputForCreate(properties=properties, associations=associations)
        try:
            created = self._call(
                self.client.crm.objects.calls.basic_api.create, simple_public_object_input_for_create=body
            )
        except HubSpotError as err:
            if err.status == 409 and properties.get(MARKER):
                existing = self.find_call(properties[MARKER])
                if existing:
                    return existing
            raise
        return str(created.id)

    def find_call(self, marker: str) -> str | None:
        """The call we pushed with this marker, if HubSpot has it (a push that may have gone through)."""
        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": MARKER, "operator": "EQ", "value": marker}]}],
            properties=[MARKER],
            limit=1,
        )
        results = self._call(
            self.client.crm.objects.calls.search_api.do_search, public_object_search_request=request
        ).results
        return str(results[0].id) if results else None

    def associate(self, call_id: str, kind: str, object_id: str) -> None:
        """Associate a call with a company or contact (v4, the default association)."""
        api = self.client.crm.associations.v4.basic_api
        self._call(api.create_default, "calls", call_id, kind, object_id)

    def calls_changed(self, since: dt.datetime, after: str | None) -> CallPage:
        """Calls changed at or after `since`, oldest change first, a page of up to 200 from `after`."""
        request = PublicObjectSearchRequest(
            filter_groups=[
                {
                    "filters": [
                        {
                            "propertyName": "hs_lastmodifieddate",
                            "operator": "GTE",
                            "value": str(int(since.timestamp() * 1000)),
                        }
                    ]
                }
            ],
            sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            properties=CALL_PROPERTIES,
            limit=PAGE,
            after=after,
        )
        page = self._call(self.client.crm.objects.calls.search_api.do_search, public_object_search_request=request)
        calls = [{"id": str(r.id), "properties": dict(r.properties), "archived": False} for r in page.results]
        following = page.paging.next.after if page.paging and page.paging.next else None
        return CallPage(calls, following, int(page.total or 0))

    def call_associations(self, call_ids: list[str]) -> dict[str, tuple[str, str]]:
        """The company (else the contact) each call is associated with: call id -> (kind, id)."""
        linked: dict[str, tuple[str, str]] = {}
        for kind in ("contacts", "companies"):  # a company wins over a contact: read it last
            api = self.client.crm.associations.v4.batch_api
            request = BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": i} for i in call_ids])
            answer = self._call(
                api.get_page, "calls", kind, batch_input_public_fetch_associations_batch_request=request
            )
            for result in answer.results:
                if result.to:
                    linked[str(result._from.id)] = (kind, str(result.to[0].to_object_id))
        return linked

    def archived_calls(self, after: str | None) -> tuple[list[str], str | None]:
        """A page of the ids of deleted (archived) calls, and where the next starts."""
        page = self._call(
            self.client.crm.objects.calls.basic_api.get_page, limit=100, after=after, archived=True, properties=[MARKER]
        )
        following = page.paging.next.after if page.paging and page.paging.next else None
        return [str(r.id) for r in page.results], following


def _label(kind: str, properties: dict[str, Any]) -> str:
    if kind == "companies":
        return str(properties.get("name") or "")
    name = " ".join(p for p in (properties.get("firstname"), properties.get("lastname")) if p)
    company = properties.get("company")
    return f"{name} ({company})" if company else name
