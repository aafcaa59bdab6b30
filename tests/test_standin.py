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

from bot.slack.standin import RateLimit, SlackStandIn, Workspace, mrkdwn_problems
from tests.conftest import THURSDAY_10_AMS, Clock

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
    server = SlackStandIn(Workspace(team_id="T0STAND", tokens=frozenset({"xoxb-good"})), clock=Clock(THURSDAY_10_AMS))
    server.start()
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
        # Counting only, it plays Slack without the rate limit: a benchmark posts thousands of messages at once.
        posts = [call(f"{base}/api/chat.postMessage", "xoxb-bench", channel="D0A", text="hi") for _ in range(40)]
        assert {(status, answer["ok"]) for status, answer, _ in posts} == {(200, True)}
        assert call(f"{base}/api/auth.test", "xoxb-other")[1]["error"] == "invalid_auth"
        status, answer, _ = call(f"{base}/_standin/counts")
        assert status == 200 and answer == {"ok": True, "counts": {"chat.postMessage": 40, "auth.test": 1}}
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


# -- what Slack refuses ---------------------------------------------------------------------------------------------


def blocks(*items) -> str:
    return json.dumps(list(items))


def section(text="hi"):
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def home(*items) -> str:
    return json.dumps({"type": "home", "blocks": list(items)})


@pytest.mark.parametrize(
    ("method", "params", "error"),
    [
        ("users.info", {}, "user_not_found"),
        ("conversations.open", {}, "users_list_not_supplied"),
        ("chat.postMessage", {"text": "hi"}, "channel_not_found"),
        ("chat.postMessage", {"channel": "C1"}, "no_text"),
        ("chat.postMessage", {"channel": "C1", "text": ""}, "no_text"),  # empty is missing
        ("chat.update", {"channel": "C1", "text": "hi"}, "message_not_found"),
        ("chat.postEphemeral", {"channel": "C1", "text": "hi"}, "user_not_in_channel"),
        ("views.open", {"view": json.dumps({"type": "modal"})}, "invalid_arguments"),
        ("views.publish", {"view": home(section())}, "invalid_arguments"),
        ("views.publish", {"user_id": "U0A"}, "invalid_arguments"),
        ("views.update", {"view": home(section())}, "invalid_arguments"),
        ("files.getUploadURLExternal", {"filename": "c.png"}, "invalid_arguments"),
        ("files.completeUploadExternal", {"channel_id": "D0A"}, "invalid_arguments"),
        ("files.info", {}, "file_not_found"),
    ],
)
def test_a_missing_required_argument_is_refused_with_slacks_code(standin, method, params, error):
    status, answer, _ = call(standin.api_url + method, "xoxb-good", **params)
    assert status == 200 and answer["ok"] is False and answer["error"] == error
    if error == "invalid_arguments":  # only then does Slack say which field
        assert "missing required field" in answer["response_metadata"]["messages"][0]
    [recorded] = standin.of(method)
    assert not recorded.ok


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ([section()] * 51, "between 0 and 50 items [json-pointer:/blocks]"),  # 50 blocks a message
        ([section("x" * 3001)], "cannot exceed 3000 characters [json-pointer:/blocks/0]"),  # slack_sdk's validator
        ([{"type": "section"}], "text or fields attribute must be specified"),
        ([{"type": "no_such_block"}], "unsupported block type [json-pointer:/blocks/0]"),
        ([section("")], "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
        ([{"type": "image", "alt_text": "chart"}], "must provide either image_url or slack_file"),
        (
            [{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76}}]}],
            "cannot exceed 75 characters",
        ),
    ],
)
def test_blocks_slack_would_refuse_are_invalid_blocks_with_the_reason(standin, bad, why):
    answer = call(standin.api_url + "chat.postMessage", "xoxb-good", channel="C1", text="hi", blocks=blocks(*bad))[1]
    assert answer["ok"] is False and answer["error"] == "invalid_blocks"
    assert any(why in error for error in answer["errors"]), answer["errors"]
    assert answer["response_metadata"]["messages"][0].startswith("[ERROR] ")
    assert call(standin.api_url + "chat.postMessage", "xoxb-good", channel="C1", blocks=blocks(section()))[1]["ok"]


def test_blocks_that_are_no_json_array_are_invalid_blocks_format(standin):
    for bad in ("{not json", json.dumps({"type": "section"})):
        answer = call(standin.api_url + "chat.postMessage", "xoxb-good", channel="C1", text="hi", blocks=bad)[1]
        assert answer == {"ok": False, "error": "invalid_blocks_format"}


def test_a_response_url_answer_is_held_to_the_same_blocks(standin):
    url = standin.response_url("U0ANN")
    refused = call(url, "", text="done", blocks=blocks(section("")))[1]
    assert refused["error"] == "invalid_blocks"
    assert call(url, "", text="done", blocks=blocks(section("done")))[1] == {"ok": True}


def test_a_text_over_40000_characters_is_msg_too_long(standin):
    answer = call(standin.api_url + "chat.postMessage", "xoxb-good", channel="C1", text="x" * 40_001)[1]
    assert answer == {"ok": False, "error": "msg_too_long"}


def test_a_view_is_held_to_100_blocks_and_its_own_fields(standin):
    url = standin.api_url + "views.publish"
    assert call(url, "xoxb-good", user_id="U0A", view=home(*[section()] * 100))[1]["ok"]
    too_many = call(url, "xoxb-good", user_id="U0A", view=home(*[section()] * 101))[1]
    assert too_many["error"] == "invalid_blocks" and "between 1 and 100 items" in too_many["errors"][0]
    empty = call(url, "xoxb-good", user_id="U0A", view=home())[1]
    assert empty["error"] == "invalid_blocks"
    inside = call(url, "xoxb-good", user_id="U0A", view=home(section(), {"type": "header"}))[1]
    assert inside["error"] == "invalid_blocks" and "[json-pointer:/view/blocks/1]" in inside["errors"][0]
    title = {"type": "plain_text", "text": "A title of more than 24 chars"}
    modal = json.dumps({"type": "modal", "title": title, "blocks": [section()]})
    answer = call(standin.api_url + "views.open", "xoxb-good", trigger_id="1.2.3", view=modal)[1]
    assert answer["error"] == "invalid_arguments" and "title must be between 1 and 24 characters" in str(answer)
    assert call(url, "xoxb-good", user_id="U0A", view="{not json")[1]["error"] == "invalid_arguments"


# -- files: processing, and who may see them in an image block ------------------------------------------------------


def upload(standin, channel=None, name="week.png") -> str:
    """A file uploaded as files upload v2 does it; shared in `channel` (private without). Its id."""
    answer = call(standin.api_url + "files.getUploadURLExternal", "xoxb-good", filename=name, length="8")[1]
    urllib.request.urlopen(urllib.request.Request(answer["upload_url"], data=b"\x89PNG\r\n\x1a\n"), timeout=10).close()
    files = json.dumps([{"id": answer["file_id"], "title": "Your week"}])
    extra = {"channel_id": channel} if channel else {}
    assert call(standin.api_url + "files.completeUploadExternal", "xoxb-good", files=files, **extra)[1]["ok"]
    return answer["file_id"]


def chart(file_id) -> dict:
    return {"type": "image", "slack_file": {"id": file_id}, "alt_text": "Your week"}


def test_files_info_knows_a_file_only_once_slack_has_processed_it(standin):
    file_id = upload(standin, "D0ANN")
    info = standin.api_url + "files.info"
    assert call(info, "xoxb-good", file=file_id)[1] == {"ok": False, "error": "file_not_found"}
    standin.clock.advance(seconds=1)
    assert call(info, "xoxb-good", file=file_id)[1]["error"] == "file_not_found"
    standin.clock.advance(seconds=1)  # the processing delay (2 s on the stand-in's clock) is over
    shown = call(info, "xoxb-good", file=file_id)[1]
    assert shown["ok"] and shown["file"]["id"] == file_id and shown["file"]["ims"] == ["D0ANN"]
    assert shown["file"]["mimetype"] == "image/png" and shown["file"]["size"] == 8
    assert call(info, "xoxb-good", file="F0NEVER")[1] == {"ok": False, "error": "file_not_found"}


def test_an_image_of_a_file_still_processing_is_an_invalid_slack_file(standin):
    file_id = upload(standin, "D0ANN")
    answer = call(standin.api_url + "views.publish", "xoxb-good", user_id="U0ANN", view=home(chart(file_id)))[1]
    assert answer["error"] == "invalid_blocks"
    assert answer["errors"] == ["invalid slack file [json-pointer:/view/blocks/0/slack_file]"]
    standin.clock.advance(seconds=2)
    assert call(standin.api_url + "views.publish", "xoxb-good", user_id="U0ANN", view=home(chart(file_id)))[1]["ok"]


def test_an_image_of_a_file_the_viewer_cant_see_is_an_invalid_slack_file(standin):
    private = upload(standin)  # no channel: the bot's alone, as the old Home uploaded its chart
    in_anns_dm = upload(standin, "D0ANN")
    in_a_channel = upload(standin, "C0SALES")
    standin.clock.advance(seconds=5)
    url = standin.api_url + "views.publish"
    assert call(url, "xoxb-good", user_id="U0ANN", view=home(chart(private)))[1]["error"] == "invalid_blocks"
    assert call(url, "xoxb-good", user_id="U0ANN", view=home(chart(in_anns_dm)))[1]["ok"]
    assert call(url, "xoxb-good", user_id="U0BOB", view=home(chart(in_anns_dm)))[1]["error"] == "invalid_blocks"
    assert call(url, "xoxb-good", user_id="U0BOB", view=home(chart(in_a_channel)))[1]["ok"]
    in_message = blocks(chart(in_anns_dm))
    post = standin.api_url + "chat.postMessage"
    assert call(post, "xoxb-good", channel="D0ANN", text="chart", blocks=in_message)[1]["ok"]
    assert call(post, "xoxb-good", channel="D0BOB", text="chart", blocks=in_message)[1]["error"] == "invalid_blocks"
    unknown = call(url, "xoxb-good", user_id="U0ANN", view=home(chart("F0NEVER")))[1]
    assert unknown["error"] == "invalid_blocks"


# -- chat.postMessage's rate limit ------------------------------------------------------------------------------------


def test_chat_post_message_is_rate_limited_per_channel_after_a_burst(standin):
    standin.rate_limit = RateLimit(per_second=1.0, burst=3)
    post = standin.api_url + "chat.postMessage"
    assert [call(post, "xoxb-good", channel="D0ANN", text="hi")[0] for _ in range(3)] == [200, 200, 200]
    status, answer, headers = call(post, "xoxb-good", channel="D0ANN", text="hi")
    assert (status, answer, headers["Retry-After"]) == (429, {"ok": False, "error": "ratelimited"}, "1")
    assert call(post, "xoxb-good", channel="D0BOB", text="hi")[0] == 200  # another channel has its own burst
    standin.clock.advance(seconds=1)  # the window Retry-After named
    assert call(post, "xoxb-good", channel="D0ANN", text="hi")[1]["ok"]
    assert call(post, "xoxb-good", channel="D0ANN", text="hi")[0] == 429  # one a second, the burst spent
    standin.clock.advance(seconds=10)  # ... and it builds up again, to the burst at most
    assert [call(post, "xoxb-good", channel="D0ANN", text="hi")[0] for _ in range(4)] == [200, 200, 200, 429]


def test_a_longer_wait_is_named_in_retry_after_and_the_limit_can_be_switched_off(standin):
    standin.rate_limit = RateLimit(per_second=0.25, burst=1)
    post = standin.api_url + "chat.postMessage"
    assert call(post, "xoxb-good", channel="C1", text="hi")[0] == 200
    assert call(post, "xoxb-good", channel="C1", text="hi")[2]["Retry-After"] == "4"
    standin.rate_limit = None
    assert {call(post, "xoxb-good", channel="C1", text="hi")[0] for _ in range(5)} == {200}


# -- mrkdwn Slack would render wrongly --------------------------------------------------------------------------------


def test_mrkdwn_problems_are_stray_control_characters_not_markup():
    assert len(mrkdwn_problems("`/call <lead> <outcome> [+research]`")) == 4
    assert mrkdwn_problems("Hoogendijk & Zn.") == ["'&' at 11 would not render as written, in 'Hoogendijk & Zn.'"]
    fine = "`/call &lt;lead&gt;` Hoogendijk &amp; Zn. <@U0ANN> <#C0SALES> <!here> <https://x.test/a?b=1&c=2|a link>"
    assert mrkdwn_problems(fine) == []
    [stray] = mrkdwn_problems("> a quoted line\nand 1 > 0")  # a quote's > is markup, a comparison's isn't
    assert stray.startswith("'>' at 22 ")


def test_what_slack_would_render_wrongly_is_recorded_not_refused(standin):
    post = standin.api_url + "chat.postMessage"
    help_text = "*Log a call:* `/call <lead> <outcome>`"
    assert call(post, "xoxb-good", channel="C1", text="fine", blocks=blocks(section(help_text)))[1]["ok"]
    assert call(post, "xoxb-good", channel="C1", text="no markup: <lead>", mrkdwn="false")[1]["ok"]
    where = "chat.postMessage /blocks/0/text/text: "  # the text with mrkdwn=false is not read as mrkdwn
    assert [f.removeprefix(where).split(" would")[0] for f in standin.findings] == [
        "'<' at 21",
        "'>' at 26",
        "'<' at 28",
        "'>' at 36",
    ]
    standin.findings.clear()
    view = home(section("fine &amp; escaped"), {"type": "context", "elements": [{"type": "mrkdwn", "text": "a & b"}]})
    assert call(standin.api_url + "views.publish", "xoxb-good", user_id="U0A", view=view)[1]["ok"]
    assert [f.split(":")[0] for f in standin.findings] == ["views.publish /blocks/1/elements/0/text"]
    standin.findings.clear()
    found = standin.review("an ack", {"text": "x & y", "blocks": [section("")]})
    assert found == standin.findings and len(found) == 2  # the empty section, and the stray &
    standin.reset()
    assert standin.findings == []
