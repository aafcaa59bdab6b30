"""The Slack stand-in itself: failure injection, delays, Slack's refusals, count-only mode, its own process."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bot.slack.standin import SlackStandIn, Workspace

ROOT = Path(__file__).resolve().parent.parent


def call(url: str, token: str = "xoxb-any", **params: str) -> tuple[int, dict, dict]:
    """POST a form-encoded Web API call as the SDK does; (HTTP status, JSON answer, headers)."""
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read()), dict(answer.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), dict(err.headers)


@pytest.fixture
def standin():
    server = SlackStandIn(Workspace(team_id="T0STAND", tokens=frozenset({"xoxb-good"}))).start()
    yield server
    server.stop()


def test_a_429_carries_retry_after_then_the_method_answers_again(standin):
    standin.fail("chat.postMessage", 429, times=1, retry_after=7)
    status, answer, headers = call(standin.api_url + "chat.postMessage", "xoxb-good", channel="C1", text="hi")
    assert (status, answer, headers["Retry-After"]) == (429, {"ok": False, "error": "ratelimited"}, "7")
    status, answer, _ = call(standin.api_url + "chat.postMessage", "xoxb-good", channel="C1", text="hi")
    assert status == 200 and answer["ok"] and answer["channel"] == "C1"
    assert [c.ok for c in standin.of("chat.postMessage")] == [False, True]


def test_a_5xx_fails_as_many_times_as_asked(standin):
    standin.fail("users.info", 503, times=2)
    statuses = [call(standin.api_url + "users.info", "xoxb-good", user="U0X")[0] for _ in range(3)]
    assert statuses == [503, 503, 200]


def test_only_429_and_5xx_are_failures_slack_makes(standin):
    with pytest.raises(ValueError):
        standin.fail("users.info", 404)


def test_a_delay_slows_only_the_calls_it_was_set_for(standin):
    standin.delay("users.info", 0.5, times=1)
    started = time.monotonic()
    call(standin.api_url + "users.info", "xoxb-good", user="U0X")
    slow = time.monotonic() - started
    started = time.monotonic()
    call(standin.api_url + "users.info", "xoxb-good", user="U0X")
    fast = time.monotonic() - started
    assert slow >= 0.5 and fast < 0.5


def test_an_unknown_method_is_refused_and_recorded(standin):
    status, answer, _ = call(standin.api_url + "chat.scheduleMessage", "xoxb-good", channel="C1", text="hi")
    assert (status, answer) == (200, {"ok": False, "error": "unknown_method"})
    [recorded] = standin.of("chat.scheduleMessage")
    assert not recorded.ok and recorded.answer["error"] == "unknown_method"


def test_a_token_the_workspace_doesnt_know_is_refused(standin):
    assert call(standin.api_url + "auth.test", "xoxb-wrong")[1] == {"ok": False, "error": "invalid_auth"}
    answer = call(standin.api_url + "auth.test", "xoxb-good")[1]
    assert answer["ok"] and answer["team_id"] == "T0STAND"
    assert [c.token for c in standin.of("auth.test")] == ["xoxb-wrong", "xoxb-good"]


def test_an_open_workspace_invents_users_and_a_closed_one_does_not():
    open_ = SlackStandIn(Workspace()).start()
    closed_workspace = Workspace(
        users={"U0ANN": {"real_name": "Ann"}}, channels={"C0SALES": "sales"}, unknown_users="user_not_found"
    )
    closed = SlackStandIn(closed_workspace).start()
    try:
        assert call(open_.api_url + "users.info", user="U0NOBODY")[1]["user"]["real_name"] == "U0NOBODY"
        assert call(closed.api_url + "users.info", user="U0NOBODY")[1] == {"ok": False, "error": "user_not_found"}
        assert call(closed.api_url + "users.info", user="U0ANN")[1]["user"]["real_name"] == "Ann"
        assert call(closed.api_url + "conversations.open", users="U0ANN")[1]["channel"]["id"] == "D0ANN"
        assert call(closed.api_url + "chat.postMessage", channel="D0ANN", text="hi")[1]["ok"]
        assert call(closed.api_url + "chat.postMessage", channel="C0SALES", text="hi")[1]["ok"]
        for channel in ("C0ELSEWHERE", "D0NOBODY"):
            refused = call(closed.api_url + "chat.postMessage", channel=channel, text="hi")[1]
            assert refused == {"ok": False, "error": "channel_not_found"}
        assert call(closed.api_url + "chat.postMessage", channel="C0SALES")[1] == {"ok": False, "error": "no_text"}
    finally:
        open_.stop()
        closed.stop()


def test_count_only_keeps_counts_not_calls():
    standin = SlackStandIn(record=False).start()
    try:
        for _ in range(3):
            call(standin.api_url + "conversations.open", users="U0A")
        call(standin.base_url + "/response/R1", text="done")
        assert standin.counts == {"conversations.open": 3, "response_url": 1}
        assert standin.calls == []
        with pytest.raises(RuntimeError):
            standin.since(0)
    finally:
        standin.stop()


def test_wait_for_gives_up_with_an_assertion_when_nothing_comes(standin):
    with pytest.raises(AssertionError, match="expected 1 chat.postMessage"):
        standin.wait_for("chat.postMessage", timeout=0.05)


def test_in_its_own_process_it_prints_its_port_counts_and_ends_on_sigterm():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.slack.standin", "--token", "xoxb-bench", "--count-only"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().decode().strip()
        assert port.isdigit()
        base = f"http://127.0.0.1:{port}"
        assert call(f"{base}/api/chat.postMessage", "xoxb-bench", channel="D0A", text="hi")[1]["ok"]
        assert call(f"{base}/api/auth.test", "xoxb-other")[1]["error"] == "invalid_auth"
        status, answer, _ = call(f"{base}/_standin/counts")
        assert status == 200 and answer == {"ok": True, "counts": {"chat.postMessage": 1, "auth.test": 1}}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        proc.stdout.close()


def test_an_upload_keeps_the_files_bytes_and_completing_an_unknown_file_is_refused(standin):
    upload = call(standin.api_url + "files.getUploadURLExternal", "xoxb-good", filename="c.png", length="3")[1]
    urllib.request.urlopen(urllib.request.Request(upload["upload_url"], data=b"PNG"), timeout=10).close()
    files = json.dumps([{"id": upload["file_id"], "title": "Your week"}])
    assert call(standin.api_url + "files.completeUploadExternal", "xoxb-good", files=files)[1]["ok"]
    assert standin.files == {upload["file_id"]: b"PNG"}
    assert standin.file_titles == {upload["file_id"]: "Your week"}
    unknown = json.dumps([{"id": "F0NEVER", "title": "x"}])
    answer = call(standin.api_url + "files.completeUploadExternal", "xoxb-good", files=unknown)[1]
    assert answer == {"ok": False, "error": "file_not_found"}


def test_a_response_url_remembers_who_it_was_handed_to(standin):
    url = standin.response_url("U0ANN", message_ts="1.000002")
    assert call(url, "", text="done", replace_original="true")[1] == {"ok": True}
    [posted] = standin.of("response_url")
    assert posted.params["_url"] == url and posted.params["text"] == "done"
    target = standin.response_target(url)
    assert (target.user, target.channel, target.message_ts) == ("U0ANN", "D0ANN", "1.000002")
    assert standin.response_target(standin.response_url()) is None  # somewhere to post, handed to nobody
