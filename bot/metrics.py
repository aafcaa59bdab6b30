"""Prometheus metrics at `GET /metrics`: requests and latency by kind, the outbox, and sends by result.

Labels are few and fixed (a request's kind, an answer's status class, a send's result): nothing per workspace,
user or lead, so the series stay a handful however many teams install the bot. The outbox figures (due now, the
age of the oldest due nudge, pending in all) are read from the database at each scrape, so any process answers
them for all.

Under gunicorn with several workers each worker counts on its own; `salescoach serve` points
`PROMETHEUS_MULTIPROC_DIR` at a fresh folder before the workers start, and a scrape of any worker adds them up
(prometheus_client's multiprocess mode). Set the variable yourself to keep the folder elsewhere; it must be empty
when the server starts.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import func, select

from bot.storage.database import Database
from bot.storage.models import Nudge

#: The kinds of request Slack sends, and what the edge refused before Bolt saw it.
KINDS = ("command", "action", "view", "event", "other", "refused")

REQUESTS = Counter(
    "salescoach_requests", "Requests to POST /slack/events, by kind and status class", ["kind", "status"]
)
LATENCY = Histogram(
    "salescoach_request_seconds",
    "Time to answer POST /slack/events, by kind",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
)
SENDS = Counter("salescoach_nudges", "Outbox nudges handled by sweeps, by result", ["result"])
#: A sweep's report fields, each a value of SENDS' `result`.
RESULTS = ("sent", "deferred", "retried", "failed", "cancelled")


def request_kind(body: dict[str, Any]) -> str:
    """Which kind of Slack request a parsed body is."""
    if body.get("command"):
        return "command"
    kind = body.get("type")
    if kind in ("block_actions", "interactive_message", "block_suggestion"):
        return "action"
    if kind in ("view_submission", "view_closed"):
        return "view"
    if kind in ("event_callback", "url_verification", "app_rate_limited"):
        return "event"
    return "other"


def observe(kind: str, status: int, seconds: float) -> None:
    """Count one answered request."""
    REQUESTS.labels(kind, f"{status // 100}xx").inc()
    LATENCY.labels(kind).observe(seconds)


def count_sweep(report: Any) -> None:
    """Count what a sweep did with the nudges it claimed."""
    for result in RESULTS:
        done = getattr(report, result, 0)
        if done:
            SENDS.labels(result).inc(done)


class OutboxCollector(Collector):
    """The outbox as it stands in the database at scrape time."""

    def __init__(self, db: Database, clock: Callable[[], dt.datetime]) -> None:
        self.db = db
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.clock()
        with self.db.read() as session:
            pending = select(func.count(), func.min(Nudge.due_at)).where(Nudge.status == "pending")
            total, _ = session.execute(pending).one()
            due, oldest = session.execute(pending.where(Nudge.due_at <= now)).one()
            sending = session.scalar(select(func.count()).where(Nudge.status == "sending"))
        yield GaugeMetricFamily("salescoach_outbox_due", "Pending nudges whose time has come", value=due)
        yield GaugeMetricFamily("salescoach_outbox_pending", "Pending nudges, due or not", value=total)
        yield GaugeMetricFamily(
            "salescoach_outbox_sending", "Nudges claimed by a sweep and not yet marked", value=sending
        )
        age = (now - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "salescoach_outbox_oldest_due_age_seconds", "How long the oldest due nudge has been waiting", value=age
        )


def exposition(db: Database, clock: Callable[[], dt.datetime]) -> tuple[bytes, str]:
    """The text a scrape reads, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector(db, clock))
    return generate_latest(counted) + generate_latest(outbox), CONTENT_TYPE_LATEST
