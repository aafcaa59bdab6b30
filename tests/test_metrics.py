"""GET /metrics: Prometheus text with requests and latency by kind, the outbox, and sends by result."""

import datetime as dt

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import sign


def scrape(coachbot) -> dict[tuple[str, tuple], float]:
    answer = coachbot.get("/metrics")
    assert answer.status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.body)
        for sample in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_by_kind_the_outbox_and_sends(coachbot):
    before = scrape(coachbot)
    coachbot.slash("/call", "Acme BV no-answer")
    body = "text=forged"
    assert coachbot.post(body, sign(body, secret="wrong"), "application/x-www-form-urlencoded").status == 401
    after = scrape(coachbot)
    for name, labels, delta in (
        ("salescoach_requests_total", {"kind": "command", "status": "2xx"}, 1),
        ("salescoach_requests_total", {"kind": "refused", "status": "4xx"}, 1),
        ("salescoach_request_seconds_count", {"kind": "command"}, 1),
    ):
        assert value(after, name, **labels) - value(before, name, **labels) == delta, name
    assert value(after, "salescoach_outbox_pending") == 1 and value(after, "salescoach_outbox_due") == 0
    # The follow-up falls due; an hour later it is still waiting, then a sweep sends it.
    coachbot.clock.advance(days=1, hours=1)
    waiting = scrape(coachbot)
    assert value(waiting, "salescoach_outbox_due") == 1
    assert value(waiting, "salescoach_outbox_oldest_due_age_seconds") >= dt.timedelta(minutes=59).total_seconds()
    coachbot.sweep()
    swept = scrape(coachbot)
    assert value(swept, "salescoach_outbox_due") == 0
    assert (
        value(swept, "salescoach_nudges_total", result="sent")
        - value(waiting, "salescoach_nudges_total", result="sent")
        == 1
    )
    # Low cardinality: no label names a workspace, a user or a lead.
    assert not any(key in dict(labels) for _, labels in swept for key in ("team", "team_id", "user", "lead"))
