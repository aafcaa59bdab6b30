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

    from bot.logs import RedactSecrets as _RedactSecrets

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s leaked", ("xoxb-123-456-abc",), None)
    _RedactSecrets().filter(record)
    assert "xoxb-123" not in record.getMessage() and "xoxb-***" in record.getMessage()
    assert "xoxb" not in repr(coachbot.runtime.config)
    assert SECRET not in repr(coachbot.runtime.config)


def raw_post(coachbot, body: bytes, headers: dict[str, str]) -> int:
    """A request as an attacker writes it, headers and all (urllib would add a Content-Length of its own)."""
    import http.client

    host, port = coachbot.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/slack/events", skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value.encode())  # as UTF-8 bytes: an attacker's header needn't be Latin-1
    conn.endheaders()
    conn.send(body)
    status = conn.getresponse().status
    conn.close()
    return status


def test_malformed_headers_get_400_or_401_never_500(coachbot):
    body = coachbot.slash_body("/call", "Forged BV no-answer", "U0SAM", "T0TEAM001", "C0SALES")
    form = "application/x-www-form-urlencoded"
    signed = sign(body)
    # "²" is a digit to str.isdigit() and a Latin-1 character, so it arrives as sent; int() can't read it.
    superscript = signed["X-Slack-Request-Timestamp"][:-1] + "\u00b2"
    assert coachbot.post(body, {**signed, "X-Slack-Request-Timestamp": superscript}, form).status == 401
    arabic = "".join(chr(0x0660 + int(d)) for d in signed["X-Slack-Request-Timestamp"])
    arabic_headers = {**signed, "X-Slack-Request-Timestamp": arabic, "Content-Length": str(len(body))}
    assert raw_post(coachbot, body.encode(), arabic_headers) == 401
    assert coachbot.post(body, {**signed, "X-Slack-Request-Timestamp": "1" * 40}, form).status == 401
    assert coachbot.post(body, {**signed, "X-Slack-Signature": "v0=\u00e9\u00e9"}, form).status == 401
    assert coachbot.post(body, {"X-Slack-Signature": signed["X-Slack-Signature"]}, form).status == 401
    data = body.encode()
    for length in ("abc", "-1", "\u0661\u0662", "\u00b2"):
        status = raw_post(coachbot, data, {**signed, "Content-Type": form, "Content-Length": length})
        assert 400 <= status < 500, length
    not_utf8 = b"text=\xff\xfe"
    status = raw_post(coachbot, not_utf8, {**sign(not_utf8.decode("latin-1")), "Content-Length": str(len(not_utf8))})
    assert status in (400, 401)
    assert _stored(coachbot) == 0


def test_a_huge_body_is_refused_from_its_content_length_unread(coachbot):
    from bot.app import MAX_BODY

    headers = {"Content-Type": "application/json", "Content-Length": str(100 * 1024 * 1024)}
    # Only a few bytes follow the announced 100 MB: the answer comes without waiting for the rest.
    assert raw_post(coachbot, b"{}", headers) == 413
    assert MAX_BODY < 1024 * 1024


def test_a_bad_signature_is_logged_as_one_line_without_the_body(coachbot, caplog):
    import logging

    body = "text=secret-note\nFORGED 2026-11-30 INFO admin logged in&" + "x" * 5000
    with caplog.at_level(logging.INFO):
        status = coachbot.post(body, sign(body, secret="wrong"), "application/x-www-form-urlencoded").status
    assert status == 401
    logged = [r.getMessage() for r in caplog.records]
    assert not any("secret-note" in line or "FORGED" in line for line in logged)
    [line] = [line for line in logged if line.startswith("refused")]
    assert line == f"refused POST /slack/events ({len(body)} bytes): bad signature"


def test_log_lines_escape_what_came_from_outside():
    import logging

    from bot.logs import EscapeControl

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "lead %s", ("Acme\nFORGED INFO line\r\x1b[31m",), None)
    EscapeControl().filter(record)
    assert record.getMessage() == "lead Acme\\nFORGED INFO line\\r\\x1b[31m"
