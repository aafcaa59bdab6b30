"""Every request is verified as Slack signs it; forged, unsigned and stale requests get 401 and store nothing."""

import time

from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from bot.storage.models import Activity, Lead
from tests.conftest import SECRET, sign

# Slack's own worked example (docs: "Verifying requests from Slack").
DOC_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOC_TS = 1531420618
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_slacks_documented_example_verifies():
    assert sign(DOC_BODY, DOC_TS)["X-Slack-Signature"] == DOC_SIGNATURE
    verifier = SignatureVerifier(SECRET, clock=type("At", (), {"now": staticmethod(lambda: DOC_TS + 60)})())
    assert verifier.is_valid(DOC_BODY, str(DOC_TS), DOC_SIGNATURE)
    assert not verifier.is_valid(DOC_BODY.replace("roadrunner", "coyote"), str(DOC_TS), DOC_SIGNATURE)


def _stored(coachbot) -> int:
    with coachbot.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Activity)) + s.scalar(select(func.count()).select_from(Lead))


def test_unsigned_wrongly_signed_and_stale_requests_get_401_and_store_nothing(coachbot):
    body = coachbot.slash_body("/call", "Forged BV no-answer", "U0SAM", "T0TEAM001", "C0SALES")
    form = "application/x-www-form-urlencoded"
    assert coachbot.post(body, {}, form).status == 401
    assert coachbot.post(body, sign(body, secret="not-the-secret"), form).status == 401
    assert coachbot.post(body, sign(body.replace("Forged", "Other")), form).status == 401
    assert coachbot.post(body, sign(body, int(time.time()) - 6 * 60), form).status == 401
    assert coachbot.post(body, {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}, form).status == 401
    assert _stored(coachbot) == 0
    assert coachbot.post(body, sign(body, int(time.time()) - 4 * 60), form).status == 200
    assert _stored(coachbot) == 2


def test_health_check_answers_when_the_database_does(coachbot):
    answer = coachbot.get("/healthz")
    assert answer.status == 200 and answer.json["database"] == "up"
    assert coachbot.get("/nothing-here").status == 404


def test_tokens_never_reach_the_logs(coachbot, caplog):
    import logging

    from bot.cli import _RedactSecrets

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s leaked", ("xoxb-123-456-abc",), None)
    _RedactSecrets().filter(record)
    assert "xoxb-123" not in record.getMessage() and "xoxb-***" in record.getMessage()
    assert "xoxb" not in repr(coachbot.runtime.config)
    assert SECRET not in repr(coachbot.runtime.config)
