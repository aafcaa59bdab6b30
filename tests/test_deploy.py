"""A deploy as Heroku runs one (Procfile): `serve` and `clock` as processes of their own on one PostgreSQL, and a
new clock started before the old one is told to stop (SIGTERM) in the middle of its sweep. Every nudge arrives once.
"""

import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.storage.models import Nudge, Rep
from tests.conftest import signed_slash
from tests.test_cli import EXE, _free_port, _wait_health

REPS = [f"U0DEPLOY{n:02d}" for n in range(30)]
ALWAYS = {"start": "00:00", "end": "23:59", "days": [0, 1, 2, 3, 4, 5, 6]}


def test_the_procfile_releases_with_migrate_and_runs_web_and_clock():
    lines = dict(
        line.split(": ", 1) for line in (Path(__file__).parent.parent / "Procfile").read_text().splitlines() if line
    )
    assert lines == {"web": "salescoach serve", "clock": "salescoach clock", "release": "salescoach migrate"}


def start(command, env, cwd, log=None):
    # A file, not a pipe, for a process whose output nobody reads while it runs.
    out = subprocess.PIPE if log is None else open(log, "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([EXE, command], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, text=True)


def until(condition, what, seconds=90):
    """Wait for other processes to get somewhere (they run on the wall clock), failing after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def test_a_clock_stopped_mid_sweep_while_the_next_one_runs_delivers_every_nudge_once(env, tmp_path, db, slack):
    if db.dialect != "postgresql":
        pytest.skip("a deploy runs its processes on PostgreSQL")
    env["DATABASE_URL"] = db.url
    env["PORT"] = str(_free_port())
    assert subprocess.run([EXE, "migrate"], env=env, cwd=tmp_path, timeout=60).returncode == 0  # release phase
    web = start("serve", env, tmp_path)
    clocks = []
    try:
        assert _wait_health(int(env["PORT"]), web) == 200
        for n, user in enumerate(REPS):
            assert signed_slash(int(env["PORT"]), slack, f"Lead {n} no-answer", user, timeout=10)[0] == 200
        # Every follow-up and its day's list fall due now, for reps who work around the clock (the clocks run on the
        # wall clock).
        with db.transaction() as s:
            s.execute(update(Rep).values(work_hours=ALWAYS))
            now = s.scalar(select(func.now()))
            kinds = Nudge.kind.in_(("followup", "followup_list"))
            made_due = list(s.scalars(update(Nudge).where(kinds).values(due_at=now).returning(Nudge.id)))
            assert len(made_due) == 2 * len(REPS)
        slack.delay("chat.postMessage", 0.15)  # a sweep of them takes a few seconds: time to be interrupted
        old = start("clock", env, tmp_path)
        clocks.append(old)
        slack.wait_for("chat.postMessage", count=3, timeout=60)
        new_log = tmp_path / "new-clock.log"
        new = start("clock", env, tmp_path, new_log)  # the deploy's new clock is up before the old one is stopped
        clocks.append(new)
        until(lambda: "clock started" in new_log.read_text(), "the new clock to start")
        old.send_signal(signal.SIGTERM)
        old_output = old.communicate(timeout=30)[0]
        assert old.returncode == 0, old_output
        assert len(slack.of("chat.postMessage")) < len(REPS)  # it was stopped mid-sweep

        def outbox_done():
            with db.read() as s:
                # The nudges made due above: each follow-up in its rep's list, each list sent. (A listed follow-up
                # schedules its roll-over to the next day's list, which stays pending.)
                # (A list written for the day a follow-up was due, when that follow-up already opened today's list,
                # is merged into it.)
                # A list may also have been opened by its first follow-up, as a row of its own: any list due counts.
                due_list = (Nudge.kind == "followup_list") & (Nudge.due_at <= func.now())
                open_rows = select(func.count()).where(
                    Nudge.id.in_(made_due) | due_list, Nudge.status.in_(("pending", "sending"))
                )
                return s.scalar(open_rows) == 0

        until(outbox_done, "the new clock to deliver the rest")
    finally:
        for proc in [web, *clocks]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.communicate(timeout=30)
    channels = [call.params["channel"] for call in slack.of("chat.postMessage")]
    assert sorted(channels) == sorted("D" + user[1:] for user in REPS)  # each rep's nudge, once
