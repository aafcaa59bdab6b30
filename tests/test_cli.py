"""The `salescoach` command as a deployment runs it: settings, migrate, serve, run-due."""

import datetime as dt
import gc
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.server import Server, default_workers
from bot.storage.models import Base
from tests.conftest import BOT_TOKEN, SECRET, make_config, sign

EXE = str(Path(sys.executable).with_name("salescoach"))


def run(args, env, cwd, timeout=60):
    return subprocess.run([EXE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SLACK_BOT_TOKEN": None}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"SLACK_API_URL": "ftp://nowhere"}, "SLACK_API_URL"),
        ({"PORT": "eighty"}, "PORT"),
    ],
)
def test_a_missing_or_malformed_setting_stops_with_one_line_and_exit_2(env, tmp_path, change, named):
    for key, value in change.items():
        if value is None:
            env.pop(key)
        else:
            env[key] = value
    result = run(["run-due"], env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in result.stderr


def test_serve_needs_the_signing_secret(env, tmp_path):
    env.pop("SLACK_SIGNING_SECRET")
    result = run(["serve"], env, tmp_path)
    assert result.returncode == 2 and "SLACK_SIGNING_SECRET" in result.stderr


def test_settings_come_from_dotenv_too(env, tmp_path):
    token = env.pop("SLACK_BOT_TOKEN")
    (tmp_path / ".env").write_text(f"SLACK_BOT_TOKEN={token}\n")
    assert run(["run-due", "--now", "2026-11-30T10:00:00+01:00"], env, tmp_path).returncode == 0


def test_run_due_rejects_a_time_without_an_offset(env, tmp_path):
    result = run(["run-due", "--now", "2026-11-30T10:00:00"], env, tmp_path)
    assert result.returncode == 2 and "offset" in result.stderr


def test_migrate_builds_a_fresh_sqlite_file(env, tmp_path):
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/fresh/new.db"
    assert run(["migrate"], env, tmp_path).returncode == 0
    assert (tmp_path / "fresh" / "new.db").exists()


def test_the_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def _wait_health(port, proc, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                return answer.status
        except OSError:
            time.sleep(0.1)  # waiting for the server to come up, not for time to pass
    raise AssertionError("salescoach serve never answered /healthz")


def test_serve_answers_health_and_signed_commands_then_run_due_delivers_from_another_process(env, tmp_path, slack):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env["PORT"] = str(port)
    proc = subprocess.Popen(
        [EXE, "serve"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert _wait_health(port, proc) == 200
        body = (
            "team_id=T0TEAM001&user_id=U0SAM&command=%2Fcall&text=Acme+BV+no-answer&channel_id=C1"
            f"&response_url={slack.response_url()}&trigger_id=1.2.3"
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events",
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200 and "Acme BV" in answer.read().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=20)[0]
    assert proc.returncode == 0
    assert BOT_TOKEN not in output and SECRET not in output
    # The call was logged at the real time; a week later, on a weekday at 11:00 London, its follow-up is due.
    day = dt.date.today() + dt.timedelta(days=7)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    when = dt.datetime.combine(day, dt.time(11), tzinfo=ZoneInfo("Europe/London")).isoformat()
    mark = slack.mark()
    result = run(["run-due", "--now", when], env, tmp_path)
    assert result.returncode == 0 and "sent 1" in result.stdout
    [dm] = slack.since(mark, "chat.postMessage")
    assert "Acme BV" in str(dm.params)
    again = run(["run-due", "--now", when], env, tmp_path)
    assert "sent 0" in again.stdout


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_without_an_app_token_serves_http_with_the_scheduler_in_process(env, tmp_path):
    env["PORT"] = str(_free_port())
    proc = subprocess.Popen(
        [EXE, "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert _wait_health(int(env["PORT"]), proc) == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=20)[0]
    assert "Added job" in output or "sweep-outbox" in output or "deliver due nudges" in output, output


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_clock_runs_until_told_to_stop_and_then_stops_at_once(env, tmp_path, stop):
    # The signal lands as the first sweep is handed to the scheduler's threads: it once raised there, APScheduler
    # logged the SystemExit as a failed job submission, and the clock ran on until it was killed.
    proc = subprocess.Popen(
        [EXE, "clock"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        for line in proc.stdout:  # wait for the clock to say it started, not for time to pass
            if "clock started" in line:
                break
    finally:
        proc.send_signal(stop)
        sent = time.monotonic()
        output = proc.communicate(timeout=20)[0]
    assert proc.returncode == 0, output
    assert time.monotonic() - sent < 5, output
    assert f"clock stopping ({stop.name})" in output and "Error" not in output, output


def test_run_with_only_a_bot_token_names_both_ways_and_touches_no_disk(env, tmp_path):
    env.pop("SLACK_SIGNING_SECRET")
    env["DATABASE_URL"] = "sqlite:///salescoach.db"
    result = run(["run"], env, tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "SLACK_SIGNING_SECRET" in line and "SLACK_APP_TOKEN" in line and "Socket Mode" in line
    assert list(tmp_path.iterdir()) == []  # no database file, no Alembic lines


@pytest.mark.parametrize("command", ["migrate", "serve", "run-due"])
def test_an_unreachable_database_stops_with_one_line_naming_it_and_the_servers_reason(env, tmp_path, command):
    env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{_free_port()}/coach"
    result = run([command], env, tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "'coach'" in line and "127.0.0.1" in line and "refused" in line.lower(), line


@pytest.mark.postgres
def test_a_database_that_does_not_exist_stops_with_one_line(env, tmp_path):
    from tests.conftest import PG_ADMIN_URL, _postgres_available

    if _postgres_available():
        pytest.skip(_postgres_available())
    env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/salescoach_no_such_database"
    result = run(["migrate"], env, tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert 'database "salescoach_no_such_database" does not exist' in line, line


def test_migrate_says_one_line_and_json_logs_are_json(env, tmp_path):
    result = run(["migrate"], env, tmp_path)
    assert result.returncode == 0
    [line] = result.stderr.strip().splitlines()  # Alembic's own lines are below INFO
    assert line.endswith("database schema is up to date")
    env["LOG_FORMAT"] = "json"
    result = run(["migrate"], env, tmp_path)
    [record] = [__import__("json").loads(line) for line in result.stderr.strip().splitlines()]
    assert record["level"] == "info" and record["message"] == "database schema is up to date"


def test_version_and_each_commands_help_say_what_it_does_and_what_it_reads(env, tmp_path):
    from importlib.metadata import version

    assert run(["--version"], env, tmp_path).stdout.strip() == f"salescoach {version('salescoach')}"
    for command in ("serve", "run", "clock", "run-due", "migrate", "demo"):
        text = " ".join(run([command, "--help"], env, tmp_path).stdout.split())
        assert "Reads:" in text, command
        assert len(text.split("Reads:")[0]) > 80, command  # a description, not only the usage line
    assert "SLACK_SIGNING_SECRET" in " ".join(run(["serve", "--help"], env, tmp_path).stdout.split())


def test_a_web_worker_puts_its_loaded_heap_out_of_the_collectors_sight(slack, database_url, monkeypatch, tmp_path):
    """`Server.load` (in each worker, after the fork) freezes what building the app made: see `settle_heap`."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    gc.unfreeze()
    app = Server(make_config(slack, database_url)).load()
    try:
        assert gc.get_freeze_count() > 0
        assert app.runtime.db.ping()  # the app it returns is the built one, ready to serve
    finally:
        gc.unfreeze()  # this test process goes on collecting as before
        app.runtime.close()


@pytest.mark.parametrize(
    ("url", "cores", "workers"),
    [
        ("sqlite:///salescoach.db", 8, 1),  # one writer at a time
        ("postgresql+psycopg://bot@127.0.0.1:5432/salescoach", 2, 1),  # the server shares this machine's cores
        ("postgresql+psycopg://bot@localhost/salescoach", 8, 4),
        ("postgresql+psycopg:///salescoach?host=/var/run/postgresql", 4, 2),  # a Unix socket: this machine
        ("postgresql+psycopg://bot@db.example.com/salescoach", 8, 2),  # elsewhere: WEB_CONCURRENCY raises it
    ],
)
def test_serve_runs_as_many_workers_as_its_database_leaves_cores_for(url, cores, workers):
    assert default_workers(url, cores) == workers
