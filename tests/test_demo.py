"""`salescoach demo`: the scripted week runs green on the real stack, and fails loudly when a message is missing."""

import dataclasses
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.demo import run
from bot.demo.observed import Expect, Kind, check

DM = Kind.DM

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    stream = io.StringIO()
    result = run(out, stream=stream)
    return result, stream.getvalue()


def test_the_week_plays_green_in_well_under_a_minute(demo):
    result, transcript = demo
    assert result.failures == []
    assert result.exit_code == 0
    assert result.seconds < 60
    assert len(result.expectations) >= 30
    # The transcript: a progress line per simulated day, the people, the bot's words from the real payloads.
    for day in ("Mon 23 Nov ▸", "Tue 24 Nov ▸", "Wed 25 Nov ▸", "Fri 27 Nov ▸", "Sat 28 Nov ▸", "Mon 30 Nov ▸"):
        assert day in transcript
    assert "Anouk de Vries  ▸ /call Bakkerij Jansen geen-gehoor" in transcript
    assert "[Geen gehoor] [Bereikt] [Afspraak gemaakt]" in transcript
    assert "Sam Carter clicks [Start a 10-minute break]" in transcript
    assert "more calls the same way" in transcript  # the blitz is summarised
    assert "Saturday" in transcript and "nothing sent" in transcript
    assert "All " in transcript and "expected messages arrived" in transcript
    assert (result.out / "transcript.txt").read_text(encoding="utf-8") == transcript  # the same, kept


def test_the_html_transcript_shows_the_week_like_slack(demo):
    result, _ = demo
    page = result.html.read_text(encoding="utf-8")
    assert result.html.name == "transcript.html"
    for text in (
        "Volg <b>Bakkerij Jansen</b> op: poging 2 van 6.",  # mrkdwn rendered, in Dutch for Anouk
        "Hoogendijk &amp; Zn.",  # Slack's &amp; undone, then escaped once for HTML
        "Only visible to you",
        "Seizoensfinale",  # the Friday post in #sales, in the subscribing manager's Dutch
        "Season final",  # the same post in #sales-international, in the English chosen at subscribe
        "Je team vorige week",  # Petra's digest
        "You have been working for",  # Sam's break DM
        '<span class="mention">#sales</span>',  # <#C0SALES> as #sales
        'class="btn primary"',
        "data:image/png;base64,iVBORw0KGgo",  # the weekly chart, embedded
    ):
        assert text in page, text
    assert "<script" not in page and "http://" not in page.replace('rel="noopener noreferrer"', "")
    assert "&lt;#C0SALES&gt;" not in page and "*Bakkerij Jansen*" not in page


def test_the_checker_names_a_missing_message(demo):
    result, _ = demo
    assert check(result.events, result.expectations) == []
    without_digest = [e for e in result.events if not (e.kind == DM and "Je team vorige week" in e.text)]
    failures = check(without_digest, result.expectations)
    assert len(failures) == 1
    assert "Petra's manager digest at 09:00" in failures[0] and "none arrived" in failures[0]
    focus = [x for x in result.expectations if "focus block" in x.what and x.exactly]
    assert focus, "the demo expects silence during the focus block"


def test_the_checker_catches_a_dm_at_night_and_a_missing_count(demo):
    result, _ = demo
    first_dm = next(e for e in result.events if e.kind == DM)
    night = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # 03:00 in Amsterdam
    moved = [dataclasses.replace(e, at=night) if e is first_dm else e for e in result.events]
    [failure] = check(moved, [])
    assert "outside working hours" in failure and "Tue 24 Nov 03:00 CET" in failure
    greedy = Expect("thirty blitz reminders", DM, "U0SAM", "attempt 2 of 6", day=dt.date(2026, 11, 25), count=30)
    [failure] = check(result.events, [greedy])
    assert "expected at least 30 of a DM to Sam Carter" in failure


def test_salescoach_demo_needs_no_settings_and_ignores_env_and_dotenv(tmp_path):
    (tmp_path / ".env").write_text("SLACK_API_URL=http://127.0.0.1:9/api/\nSLACK_BOT_TOKEN=xoxb-from-dotenv\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'users-own.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--out", str(tmp_path / "out"), "--quiet"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("salescoach demo: ok:")
    assert str(tmp_path / "out" / "transcript.html") in done.stdout
    assert (tmp_path / "out" / "transcript.html").exists() and (tmp_path / "out" / "demo.db").exists()
    assert not (tmp_path / "users-own.db").exists()


def test_mrkdwn_becomes_escaped_html_like_slack_shows_it():
    from bot.demo.page import mrkdwn_html

    shown = mrkdwn_html(
        "*Acme &lt;script&gt; &amp; Co* in <#C0SALES>, for <@U0SAM> and <@U0NOBODY|nobody>: _soon_\n"
        "`/call a*b* &amp;` see <https://example.com/?a=1&amp;b=2|the docs> ```x < y```"
    )
    assert shown.startswith('<b>Acme &lt;script&gt; &amp; Co</b> in <span class="mention">#sales</span>')
    assert '<span class="mention">@Sam Carter</span>' in shown and "@nobody" in shown
    assert "<i>soon</i><br>" in shown
    assert "<code>/call a*b* &amp;</code>" in shown  # no formatting inside code
    assert '<a href="https://example.com/?a=1&amp;b=2" rel="noopener noreferrer">the docs</a>' in shown
    assert "<pre>x &lt; y</pre>" in shown
    assert "<script" not in shown
