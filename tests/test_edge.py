"""`salescoach serve` under attack from inside a workspace's network: idle and slow connections, junk, huge bodies.

The real server (gunicorn, gevent workers) in a process of its own, as a deployment runs it.
"""

import socket
import subprocess
import urllib.error
import urllib.request

import pytest

from tests.conftest import signed_slash
from tests.test_cli import EXE, _free_port, _wait_health

HELD = 200


@pytest.fixture
def served(env, tmp_path):
    env["PORT"] = str(_free_port())
    proc = subprocess.Popen(
        [EXE, "serve"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert _wait_health(int(env["PORT"]), proc) == 200
        yield int(env["PORT"]), proc
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def test_signed_requests_are_answered_while_hundreds_of_connections_are_held_and_the_held_ones_are_dropped(
    served, slack
):
    port, _ = served
    held = []
    for i in range(HELD):
        sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        if i % 2:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slack-Sig")  # headers that never end
        else:  # a body announced and never sent
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
        held.append(sock)
    try:
        for n in range(5):
            status, text = signed_slash(port, slack, f"Lead {n} no-answer")
            assert status == 200 and f"Lead {n}" in text
        # The workers' counters, added up across processes (prometheus_client's multiprocess mode).
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3) as answer:
            scraped = answer.read().decode()
        assert 'salescoach_requests_total{kind="command",status="2xx"} 5.0' in scraped, scraped
        assert "salescoach_outbox_pending 6.0" in scraped  # five follow-ups and the list of the day they fall due
        # The server drops every held connection on its own (headers: keepalive, body: BODY_SECONDS).
        for sock in held:
            answer = sock.recv(200)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer
    finally:
        for sock in held:
            sock.close()


def test_a_huge_announced_body_is_refused_unread_and_junk_is_logged_as_one_line(served, slack):
    port, proc = served
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\nxx")
    assert sock.recv(100).startswith(b"HTTP/1.1 413")
    sock.close()
    junk = "text=hello\nFORGED 2026-11-30 00:00:00 INFO salescoach: admin granted"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=junk.encode(),
        method="POST",
        headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=3)
    assert refused.value.code == 401
    proc.terminate()
    output = proc.communicate(timeout=20)[0]
    assert "FORGED" not in output and "hello" not in output
    assert "refused POST /slack/events (104857600 bytes): body too large" in output
    assert f"refused POST /slack/events ({len(junk)} bytes): stale timestamp" in output


def test_with_log_format_json_every_line_serve_writes_is_json(env, tmp_path):
    import json

    env["PORT"] = str(_free_port())
    env["LOG_FORMAT"] = "json"
    proc = subprocess.Popen(
        [EXE, "serve"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert _wait_health(int(env["PORT"]), proc) == 200
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert any(r["logger"].startswith("gunicorn") for r in records), output  # gunicorn's own lines too
