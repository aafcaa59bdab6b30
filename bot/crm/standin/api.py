"""HubSpot's answers, endpoint by endpoint, with HubSpot's checks and error bodies.

Every answer is `(status, body, headers)`. Errors carry HubSpot's shape: `{"status": "error", "message",
"correlationId", "category"}` (plus `errors` for a validation error naming the property), with HubSpot's
categories: VALIDATION_ERROR (400), INVALID_AUTHENTICATION (401), OBJECT_NOT_FOUND (404), CONFLICT (409).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

from bot.crm.standin.portal import (
    ASSOCIATION_TYPES,
    CALL_DIRECTIONS,
    CALL_STATUSES,
    READ_ONLY,
    Portal,
    Record,
    iso,
)

Reply = tuple[int, Any, dict[str, str]]

SEARCH_LIMIT = 200  # results per search page
SEARCH_WINDOW = 10_000  # a search pages through at most this many results
LIST_LIMIT = 100  # results per page of a list (GET) endpoint
MAX_FILTER_GROUPS, MAX_FILTERS = 5, 18  # per search request (at most 6 in one group)
OPERATORS = frozenset(
    {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY"}
) | {"CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}
DATE_PROPERTIES = frozenset({"hs_timestamp", "hs_createdate", "hs_lastmodifieddate"})
DEFAULT_PROPERTIES = {
    "calls": frozenset({"hs_timestamp", "hs_call_title", "hs_call_body"}),
    "companies": frozenset({"name", "domain"}),
    "contacts": frozenset({"firstname", "lastname", "email"}),
}


def error(status: int, category: str, message: str, **more: Any) -> Reply:
    """HubSpot's error body."""
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category, **more}
    return status, body, {}


def invalid(message: str, **more: Any) -> Reply:
    """A 400 VALIDATION_ERROR."""
    return error(400, "VALIDATION_ERROR", message, **more)


def not_found(kind: str, object_id: str) -> Reply:
    """What HubSpot answers for an id it doesn't have."""
    return error(404, "OBJECT_NOT_FOUND", f"Object not found.  objectId are usually numeric. ({kind} {object_id})")


def to_millis(value: Any) -> int | None:
    """A date-time given as milliseconds since the epoch or ISO 8601; None if it is neither."""
    text = str(value).strip()
    if re.fullmatch(r"\d{1,15}", text):
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


class Api:
    """The endpoints, over one `Portal`."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    # -- objects ----------------------------------------------------------------------------------------------

    def check_properties(self, kind: str, properties: Any) -> Reply | None:
        """HubSpot's checks on the properties of a write: known names, values of the right kind."""
        if not isinstance(properties, dict):
            return invalid("Invalid input JSON on line 1: 'properties' must be an object")
        problems = []
        defined = self.portal.defined(kind)
        for name, value in properties.items():
            if name not in defined or name in READ_ONLY:
                problems.append(
                    {
                        "isValid": False,
                        "message": f'Property "{name}" does not exist',
                        "error": "PROPERTY_DOESNT_EXIST",
                        "name": name,
                    }
                )
                continue
            if value is not None and not isinstance(value, str | int | float | bool):
                problems.append(self._bad(name, value, "INVALID_OPTION", f"{value!r} is not a valid value"))
            elif name in DATE_PROPERTIES and to_millis(value) is None:
                problems.append(self._bad(name, value, "INVALID_DATE", f"{value} was not a valid long or date"))
            elif name == "hs_call_direction" and value not in CALL_DIRECTIONS:
                problems.append(self._bad(name, value, "INVALID_OPTION", f"{value} was not one of the allowed options"))
            elif name == "hs_call_status" and value not in CALL_STATUSES:
                problems.append(self._bad(name, value, "INVALID_OPTION", f"{value} was not one of the allowed options"))
            elif name == "hs_call_disposition" and value and value not in {d["id"] for d in self.portal.dispositions}:
                problems.append(self._bad(name, value, "INVALID_OPTION", f"{value} was not one of the allowed options"))
            elif name == "hubspot_owner_id" and value and str(value) not in {o["id"] for o in self.portal.owners}:
                problems.append(self._bad(name, value, "INVALID_OWNER_ID", f"{value} is not a valid owner id"))
        if kind == "calls" and "hs_timestamp" not in properties:
            return invalid("Property values were not valid: hs_timestamp is required for calls", errors=[])
        if problems:
            return invalid(f"Property values were not valid: {json.dumps(problems)}", errors=problems)
        return None

    @staticmethod
    def _bad(name: str, value: Any, code: str, message: str) -> dict[str, Any]:
        return {"isValid": False, "message": message, "error": code, "name": name, "propertyValue": value}

    def normalized(self, properties: dict[str, Any]) -> dict[str, str]:
        """Values as HubSpot stores them: strings, date-times in ISO 8601 UTC."""
        out = {}
        for name, value in properties.items():
            if name in DATE_PROPERTIES:
                out[name] = iso(dt.datetime.fromtimestamp(to_millis(value) / 1000, dt.UTC))  # type: ignore[operator]
            elif isinstance(value, bool):
                out[name] = "true" if value else "false"
            else:
                out[name] = "" if value is None else str(value)
        return out

    def unique_conflict(self, kind: str, properties: dict[str, str], own: str | None = None) -> Reply | None:
        """A property with `hasUniqueValue` takes each value once: HubSpot answers 409 CONFLICT."""
        for name, definition in self.portal.custom[kind].items():
            value = properties.get(name)
            if not definition.get("hasUniqueValue") or not value:
                continue
            for record in self.portal.objects[kind].values():
                if record.id != own and record.properties.get(name) == value:
                    return error(
                        409,
                        "CONFLICT",
                        f"A {kind[:-1]} with {name} {value} already exists. Existing ID: {record.id}",
                    )
        return None

    def create(self, kind: str, body: Any) -> Reply:
        """POST /crm/v3/objects/{kind}."""
        if not isinstance(body, dict):
            return invalid("Invalid input JSON on line 1, column 1: Cannot build SimplePublicObjectInputForCreate")
        problem = self.check_properties(kind, body.get("properties"))
        if problem:
            return problem
        links = []
        for association in body.get("associations") or []:
            try:
                target = str(association["to"]["id"])
                types = association["types"]
                type_id = int(types[0]["associationTypeId"])
                category = types[0]["associationCategory"]
            except (KeyError, TypeError, ValueError, IndexError):
                return invalid("Invalid input JSON: an association needs to.id and types[].associationTypeId")
            if category != "HUBSPOT_DEFINED" or type_id not in ASSOCIATION_TYPES or kind != "calls":
                return invalid(f"{category} {type_id} is not a valid association type between {kind} and the target")
            target_kind = ASSOCIATION_TYPES[type_id]
            if target not in self.portal.objects[target_kind]:
                return invalid(f"No {target_kind[:-1]} with ID {target} exists", category="VALIDATION_ERROR")
            links.append((target_kind, target))
        properties = self.normalized(body["properties"])
        conflict = self.unique_conflict(kind, properties)
        if conflict:
            return conflict
        record = self.portal.create(kind, properties)
        for target_kind, target in links:
            self.portal.associate(record, target_kind, target)
        return 201, record.public(list(properties), DEFAULT_PROPERTIES[kind]), {}

    def read(self, kind: str, object_id: str, query: dict[str, list[str]]) -> Reply:
        """GET /crm/v3/objects/{kind}/{id}."""
        record = self.portal.objects[kind].get(object_id)
        archived = (query.get("archived") or ["false"])[0].lower() == "true"
        if record is None or (record.archived_at is not None) != archived:
            return not_found(kind, object_id)
        return 200, self._with_associations(record, kind, query), {}

    def _with_associations(self, record: Record, kind: str, query: dict[str, list[str]]) -> dict[str, Any]:
        body = record.public(_names(query.get("properties")), DEFAULT_PROPERTIES[kind])
        wanted = _names(query.get("associations"))
        if wanted:
            body["associations"] = {
                other: {"results": [{"id": i, "type": f"{kind[:-1]}_to_{other[:-1]}"} for i in sorted(ids)]}
                for other, ids in record.associations.items()
                if other in wanted and ids
            }
        return body

    def update(self, kind: str, object_id: str, body: Any) -> Reply:
        """PATCH /crm/v3/objects/{kind}/{id}."""
        record = self.portal.objects[kind].get(object_id)
        if record is None or record.archived_at is not None:
            return not_found(kind, object_id)
        properties = body.get("properties") if isinstance(body, dict) else None
        if kind == "calls" and isinstance(properties, dict):
            properties = {"hs_timestamp": record.properties["hs_timestamp"], **properties}
        problem = self.check_properties(kind, properties)
        if problem:
            return problem
        assert isinstance(properties, dict)
        normalized = self.normalized(properties)
        conflict = self.unique_conflict(kind, normalized, own=object_id)
        if conflict:
            return conflict
        record.properties.update(normalized)
        self.portal.touch(record)
        return 200, record.public(list(normalized), DEFAULT_PROPERTIES[kind]), {}

    def archive(self, kind: str, object_id: str) -> Reply:
        """DELETE /crm/v3/objects/{kind}/{id}: 204, also for an id already gone (as HubSpot answers)."""
        record = self.portal.objects[kind].get(object_id)
        if record is not None and record.archived_at is None:
            self.portal.archive(kind, object_id)
        return 204, None, {}

    def page(self, kind: str, query: dict[str, list[str]]) -> Reply:
        """GET /crm/v3/objects/{kind}: a page of objects in id order (`archived=true`: the archived ones)."""
        limit = _int((query.get("limit") or ["10"])[0])
        if limit is None or not 1 <= limit <= LIST_LIMIT:
            return invalid(f"limit must be between 1 and {LIST_LIMIT}")
        after = (query.get("after") or [""])[0]
        archived = (query.get("archived") or ["false"])[0].lower() == "true"
        records = sorted(
            (r for r in self.portal.objects[kind].values() if (r.archived_at is not None) == archived),
            key=lambda r: int(r.id),
        )
        if after:
            if not after.isdigit():
                return invalid(f"after must be a paging token, not {after!r}")
            records = [r for r in records if int(r.id) > int(after)]
        chosen = records[:limit]
        body: dict[str, Any] = {"results": [self._with_associations(r, kind, query) for r in chosen]}
        if len(records) > limit:
            body["paging"] = {"next": {"after": chosen[-1].id, "link": f"?after={chosen[-1].id}"}}
        return 200, body, {}

    # -- search -----------------------------------------------------------------------------------------------

    def search(self, kind: str, body: Any) -> Reply:
        """POST /crm/v3/objects/{kind}/search: filterGroups (OR of ANDs), one sort, `query`, paging by `after`."""
        if not isinstance(body, dict):
            return invalid("Invalid input JSON: a search takes a PublicObjectSearchRequest object")
        limit = body.get("limit", 10)
        if not isinstance(limit, int) or not 0 <= limit <= SEARCH_LIMIT:
            return invalid(f"limit must be between 0 and {SEARCH_LIMIT}, not {limit}")
        after = _int(body.get("after") or 0)
        if after is None or after < 0:
            return invalid(f"after must be a numeric paging token, not {body.get('after')!r}")
        if after + limit > SEARCH_WINDOW:
            return invalid(
                f"The maximum number of results you can page through is {SEARCH_WINDOW}: narrow the search instead"
            )
        groups = body.get("filterGroups") or []
        if not isinstance(groups, list) or len(groups) > MAX_FILTER_GROUPS:
            return invalid(f"A search takes at most {MAX_FILTER_GROUPS} filterGroups")
        if sum(len(g.get("filters") or []) for g in groups if isinstance(g, dict)) > MAX_FILTERS:
            return invalid(f"A search takes at most {MAX_FILTERS} filters in all")
        defined = self.portal.defined(kind)
        for group in groups:
            for item in (group or {}).get("filters") or []:
                if not isinstance(item, dict) or item.get("operator") not in OPERATORS:
                    return invalid(f"Unknown filter operator in {item!r}")
                if item.get("propertyName") not in defined:
                    return invalid(f'Property "{item.get("propertyName")}" does not exist on {kind}')
                if item["operator"] not in ("HAS_PROPERTY", "NOT_HAS_PROPERTY", "IN", "NOT_IN", "BETWEEN"):
                    if "value" not in item:
                        return invalid(f"The {item['operator']} filter on {item['propertyName']} needs a value")
        records = [r for r in self.portal.live(kind) if _matches(r, groups) and _query(r, body.get("query"))]
        sorts = body.get("sorts") or []
        if sorts:
            spec = sorts[0]
            name = spec.get("propertyName") if isinstance(spec, dict) else str(spec).lstrip("-")
            if name not in defined:
                return invalid(f'Property "{name}" does not exist on {kind}')
            descending = (spec.get("direction") == "DESCENDING") if isinstance(spec, dict) else str(spec)[0] == "-"
            records.sort(key=lambda r: (_sort_key(name, r.properties.get(name)), int(r.id)), reverse=descending)
        else:
            records.sort(key=lambda r: int(r.id))
        chosen = records[after : after + limit]
        names = body.get("properties") or None
        answer: dict[str, Any] = {
            "total": len(records),
            "results": [r.public(names, DEFAULT_PROPERTIES[kind]) for r in chosen],
        }
        if after + limit < len(records) and limit:
            answer["paging"] = {"next": {"after": str(after + limit), "link": ""}}
        return 200, answer, {}

    # -- associations, owners, dispositions, properties, account ---------------------------------------------

    def associate(self, kind: str, object_id: str, target_kind: str, target_id: str) -> Reply:
        """PUT /crm/v4/objects/{kind}/{id}/associations/default/{targetKind}/{targetId}."""
        record = self.portal.objects.get(kind, {}).get(object_id)
        target = self.portal.objects.get(target_kind, {}).get(target_id)
        if record is None or target is None:
            return not_found(kind if record is None else target_kind, object_id if record is None else target_id)
        self.portal.associate(record, target_kind, target_id)
        body = {
            "status": "COMPLETE",
            "results": [{"from": {"id": object_id}, "to": {"id": target_id}, "associationSpec": {}}],
        }
        return 200, body, {}

    def association_batch(self, kind: str, target_kind: str, body: Any) -> Reply:
        """POST /crm/v4/associations/{kind}/{targetKind}/batch/read: the targets of up to 1,000 objects."""
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or len(inputs) > 1000:
            return invalid("inputs must be a list of at most 1000 {id} objects")
        results = []
        for item in inputs:
            record = self.portal.objects[kind].get(str((item or {}).get("id")))
            if record is None:
                continue
            targets = sorted(record.associations.get(target_kind, ()))
            if targets:
                results.append(
                    {
                        "from": {"id": record.id},
                        "to": [{"toObjectId": int(t), "associationTypes": []} for t in targets],
                    }
                )
        now = iso(self.portal.clock())
        return 200, {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}, {}

    def batch_read(self, kind: str, body: Any) -> Reply:
        """POST /crm/v3/objects/{kind}/batch/read: up to 100 objects by id."""
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or len(inputs) > 100:
            return invalid("inputs must be a list of at most 100 {id} objects")
        found = [self.portal.objects[kind].get(str((i or {}).get("id"))) for i in inputs]
        names = body.get("properties") or None
        results = [r.public(names, DEFAULT_PROPERTIES[kind]) for r in found if r is not None and r.archived_at is None]
        now = iso(self.portal.clock())
        return 200, {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}, {}

    def owners(self, query: dict[str, list[str]]) -> Reply:
        """GET /crm/v3/owners: pages of owners, `email` to find one."""
        limit = _int((query.get("limit") or ["100"])[0])
        if limit is None or not 1 <= limit <= 500:
            return invalid("limit must be between 1 and 500")
        email = (query.get("email") or [""])[0].casefold()
        owners = [o for o in self.portal.owners if not email or o["email"].casefold() == email]
        start = _int((query.get("after") or ["0"])[0]) or 0
        body: dict[str, Any] = {"results": owners[start : start + limit]}
        if start + limit < len(owners):
            body["paging"] = {"next": {"after": str(start + limit), "link": ""}}
        return 200, body, {}

    def dispositions(self) -> Reply:
        """GET /calling/v1/dispositions: every call outcome the account has (a bare JSON list)."""
        return 200, [d for d in self.portal.dispositions if not d["deleted"]], {}

    def property(self, kind: str, name: str) -> Reply:
        """GET /crm/v3/properties/{kind}/{name}."""
        definition = self.portal.custom.get(kind, {}).get(name)
        if definition is None:
            return error(404, "OBJECT_NOT_FOUND", f"Unable to find property {name} for object type {kind}")
        return 200, definition, {}

    def create_property(self, kind: str, body: Any) -> Reply:
        """POST /crm/v3/properties/{kind}: a property of the account's own."""
        required = ("name", "label", "type", "fieldType", "groupName")
        if not isinstance(body, dict) or any(not body.get(key) for key in required):
            return invalid(f"A property needs {', '.join(required)}")
        name = str(body["name"])
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,99}", name):
            return invalid(f"Property name {name!r} must be lower case letters, digits and underscores")
        if name in self.portal.defined(kind):
            return error(409, "OBJECT_ALREADY_EXISTS", f"A property named '{name}' already exists.")
        definition = {**body, "hidden": False, "createdAt": iso(self.portal.clock())}
        self.portal.custom[kind][name] = definition
        return 201, definition, {}

    def account(self) -> Reply:
        """GET /account-info/v3/details."""
        body = {
            "portalId": self.portal.portal_id,
            "accountType": "STANDARD",
            "timeZone": "Europe/Amsterdam",
            "companyCurrency": "EUR",
            "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "eu1",
        }
        return 200, body, {}


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _names(values: list[str] | None) -> list[str] | None:
    names = [n for value in values or [] for n in value.split(",") if n]
    return names or None


def _sort_key(name: str, value: str | None) -> Any:
    if name in DATE_PROPERTIES:
        return to_millis(value) or 0 if value else 0
    return (value or "").casefold()


def _matches(record: Record, groups: list[dict[str, Any]]) -> bool:
    if not groups:
        return True
    return any(all(_holds(record, f) for f in group.get("filters") or []) for group in groups)


def _holds(record: Record, item: dict[str, Any]) -> bool:
    name, operator = item["propertyName"], item["operator"]
    have = record.properties.get(name)
    if operator == "HAS_PROPERTY":
        return bool(have)
    if operator == "NOT_HAS_PROPERTY":
        return not have
    if have is None or have == "":
        return operator in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN")

    def comparable(value: Any) -> Any:
        if name in DATE_PROPERTIES:
            return to_millis(value)
        number = _float(have) if _float(value) is not None else None
        return _float(value) if number is not None else str(value).casefold()

    mine = comparable(have)
    if operator in ("IN", "NOT_IN"):
        inside = any(comparable(v) == mine for v in item.get("values") or [])
        return inside if operator == "IN" else not inside
    if operator == "BETWEEN":
        low, high = comparable(item.get("value")), comparable(item.get("highValue"))
        return low is not None and high is not None and low <= mine <= high
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        token = str(item["value"]).casefold().strip("*")
        found = (
            token in re.split(r"\W+", str(have).casefold())
            or (str(item["value"]).startswith("*") or str(item["value"]).endswith("*"))
            and token in str(have).casefold()
        )
        return found if operator == "CONTAINS_TOKEN" else not found
    other = comparable(item["value"])
    if other is None or mine is None:
        return False
    return {
        "EQ": mine == other,
        "NEQ": mine != other,
        "LT": mine < other,
        "LTE": mine <= other,
        "GT": mine > other,
        "GTE": mine >= other,
    }[operator]


def _float(value: Any) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None


def _query(record: Record, query: Any) -> bool:
    """`query`: a word search over the default searchable properties (a name, an email, a domain)."""
    if not query:
        return True
    text = " ".join(
        record.properties.get(n) or "" for n in ("name", "domain", "firstname", "lastname", "email", "hs_call_title")
    ).casefold()
    return all(word in text for word in str(query).casefold().split())
