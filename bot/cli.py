"""`salescoach`: serve, run, clock, run-due, sync-crm, migrate, demo."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from bot import config as config_module
from bot import logs
from bot.config import Config, ConfigError
from bot.storage.database import database_problem

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("salescoach")

# Kept for callers of the old names (bench/bare_app.py): logging lives in bot.logs.
_RedactSecrets = logs.RedactSecrets


def setup_logging(level: str = "INFO") -> None:
    """Log to stderr, redacted and escaped; JSON lines when LOG_FORMAT=json."""
    logs.setup(level, "json" if os.environ.get("LOG_FORMAT", "").strip().lower() == "json" else "text")


def parse_now(text: str) -> dt.datetime:
    """An ISO-8601 instant with its offset (`Z` allowed), as UTC."""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            f"--now {text!r} is not an ISO-8601 time; write it like 2026-11-30T10:00:00+01:00"
        ) from err
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"--now {text!r} has no UTC offset; add one, e.g. {text}+00:00")
    return value.astimezone(dt.UTC)


#: What each command reads from the environment (or .env), for its --help.
_READS = {
    "serve": "SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, DATABASE_URL, PORT, SLACK_API_URL, WEB_CONCURRENCY, "
    "WORKER_CONNECTIONS, PROMETHEUS_MULTIPROC_DIR, LOG_LEVEL, LOG_FORMAT; HubSpot OAuth: HUBSPOT_CLIENT_ID, "
    "HUBSPOT_CLIENT_SECRET, HUBSPOT_REDIRECT_URL, HUBSPOT_AUTHORIZE_URL",
    "run": "SLACK_BOT_TOKEN, and SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET and PORT (HTTP); DATABASE_URL, "
    "SLACK_API_URL, LOG_LEVEL, LOG_FORMAT",
    "clock": "SLACK_BOT_TOKEN, DATABASE_URL, SLACK_API_URL, LOG_LEVEL, LOG_FORMAT",
    "run-due": "SLACK_BOT_TOKEN, DATABASE_URL, SLACK_API_URL, LOG_LEVEL, LOG_FORMAT",
    "sync-crm": "SLACK_BOT_TOKEN, DATABASE_URL, SALESCOACH_SECRET_KEY, HUBSPOT_ACCESS_TOKEN, HUBSPOT_API_URL, "
    "HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET (to renew OAuth tokens), SLACK_API_URL, LOG_LEVEL, LOG_FORMAT",
    "migrate": "DATABASE_URL, LOG_LEVEL, LOG_FORMAT",
    "demo": "nothing: it brings its own Slack stand-in, tokens and SQLite database",
}

_DESCRIBE = {
    "serve": (
        "serve Slack's HTTP requests with gunicorn on $PORT",
        "HTTP mode: Bolt behind gunicorn on $PORT. Slack's requests at POST /slack/events, GET /healthz (200 while "
        "the database answers), GET /metrics (Prometheus). Brings the schema up to date first.",
    ),
    "run": (
        "everything in one process (Socket Mode when SLACK_APP_TOKEN is set)",
        "Everything in one process: Slack's requests and the scheduler. Socket Mode when SLACK_APP_TOKEN is set, "
        "HTTP on $PORT otherwise. Brings the schema up to date first.",
    ),
    "clock": (
        "the scheduler alone: deliver nudges as they fall due",
        "The scheduler alone: sweeps the outbox every 20 s and delivers what is due, until SIGTERM or Ctrl-C. "
        "Run any number at once (a deploy overlaps two): each nudge is delivered once.",
    ),
    "run-due": (
        "one pass of everything due, then exit",
        "One pass of everything due at --now (default: now), then exit.",
    ),
    "sync-crm": (
        "one pass of the HubSpot sync (calls logged in HubSpot), then exit",
        "One pass of the HubSpot sync: reads the calls changed in HubSpot since the sync's cursor (or --since) and "
        "coaches them like /call, with a progress bar; calls logged in Slack are pushed by the clock.",
    ),
    "migrate": (
        "bring the database schema up to date",
        "Bring the database schema up to date (Alembic). Safe to run from several processes at once; the "
        "Procfile's release phase runs it.",
    ),
    "demo": (
        "play a week of a small sales team offline (no Slack account needed)",
        "A scripted week of a small team against a local Slack stand-in, offline; writes DIR/transcript.html.",
    ),
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("salescoach")
    except PackageNotFoundError:
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="salescoach", description="Sales Coach, the Slack sales-coaching bot.")
    parser.add_argument("--version", action="version", version=f"salescoach {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str) -> argparse.ArgumentParser:
        summary, description = _DESCRIBE[name]
        return commands.add_parser(
            name, help=summary, description=description, epilog=f"Reads: {_READS[name]}. See README, Settings."
        )

    command("serve")
    command("run")
    command("clock")
    run_due = command("run-due")
    run_due.add_argument("--now", type=parse_now, help="the instant to act as of (ISO-8601 with offset)")
    sync = command("sync-crm")
    sync.add_argument("--since", type=parse_now, help="read the calls changed since then (ISO-8601 with offset)")
    command("migrate")
    demo = command("demo")
    demo.add_argument("--out", metavar="DIR", default="salescoach-demo", help="where to write the transcript")
    demo.add_argument("--quiet", action="store_true", help="print only the outcome and the transcript's path")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The console entry point."""
    args = _parser().parse_args(argv)
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    setup_logging(level if level in logging.getLevelNamesMapping() else "INFO")
    config: Config | None = None
    try:
        if args.command == "demo":
            # The demo brings all it needs; a half-filled .env must not stop someone trying the bot out.
            return cmd_demo(None, args)
        config = config_module.load()
        return COMMANDS[args.command](config, args)
    except ConfigError as err:
        print(f"salescoach: {err}", file=sys.stderr)
        return 2
    except DBAPIError as err:
        # An unreachable server, a database that doesn't exist, a refused login: one line, no traceback.
        print(f"salescoach: {database_problem(err, config.database_url if config else None)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _migrate(config: Config) -> None:
    from bot.storage.database import Database

    db = Database(config.database_url)
    try:
        db.migrate()
    finally:
        db.dispose()


def _runtime(config: Config) -> Runtime:
    """The schema brought up to date, then this process's runtime (needs the bot token, or OAuth)."""
    config.require_tokens()
    _migrate(config)
    from bot import runtime as runtime_module

    return runtime_module.build(config)


# A deploy's SIGTERM, or Ctrl-C: the long-running commands clean up and exit 0.
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})


def _hold_stop_signals() -> None:
    """Leave the stop signals to `_wait_for_stop`; call it before any thread starts, as threads inherit the mask.

    They are taken synchronously (sigwait), not by a handler: an exception raised from a handler lands wherever the
    main thread happens to be, and APScheduler swallows one that lands while it hands a sweep to its thread pool,
    so the process logged the error and ran on after SIGTERM, until it was killed.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def _wait_for_stop(what: str) -> None:
    """Block until SIGTERM or SIGINT arrives."""
    received = signal.sigwait(STOP_SIGNALS)
    log.info("%s stopping (%s)", what, signal.Signals(received).name)


def cmd_migrate(config: Config, _args: argparse.Namespace) -> int:
    """`salescoach migrate`."""
    _migrate(config)
    log.info("database schema is up to date")
    return 0


def _migrate_apart() -> None:
    """`migrate` in a process of its own, for gunicorn's master.

    The migrations import slack_sdk (the OAuth stores' tables); imported in the master, its direct `from ssl import`s
    would reach the gevent workers unpatched, and a call to Slack over HTTPS would stall every request of a worker.
    """
    result = subprocess.run([sys.executable, "-m", "bot.cli", "migrate"], check=False)
    if result.returncode:
        raise SystemExit(result.returncode)  # the child has said why, in one line


def cmd_serve(config: Config, _args: argparse.Namespace) -> int:
    """`salescoach serve`: HTTP mode behind gunicorn."""
    config.require("SLACK_SIGNING_SECRET").require_tokens()
    _migrate_apart()
    from bot.server import Server

    Server(config).run()
    return 0


def cmd_run(config: Config, _args: argparse.Namespace) -> int:
    """`salescoach run`: listeners and scheduler in one process."""
    config.require_tokens()
    if config.app_token and config.oauth:
        raise ConfigError(
            "SLACK_APP_TOKEN is set with SLACK_CLIENT_ID: OAuth installs come in over HTTP (/slack/oauth_redirect), "
            "so unset SLACK_APP_TOKEN and run in HTTP mode with SLACK_SIGNING_SECRET."
        )
    if not config.app_token:
        config.require("SLACK_SIGNING_SECRET")
        _migrate_apart()
        from bot.server import Server

        Server(config, with_scheduler=True).run()
        return 0
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot import scheduler
    from bot.app import build_app

    _hold_stop_signals()
    # Socket Mode requests arrive over an authenticated websocket, not signed HTTP.
    runtime = _runtime(config)
    if not config.signing_secret:
        config = Config(**{**config.__dict__, "signing_secret": "socket-mode-unused"})
        runtime.config = config
    # The app's own client (SLACK_API_URL, no retries) also asks apps.connections.open for the websocket URL.
    handler = SocketModeHandler(build_app(runtime), config.app_token)
    from bot.server import settle_heap

    settle_heap()  # as a web worker does once its app is built
    clock = scheduler.background(runtime)
    try:
        handler.connect()  # the websocket runs in the client's own threads
        _wait_for_stop("run")
    finally:
        handler.close()
        runtime.sweeper.stop()  # a sweep in progress gives the rest of its batch back to the outbox
        clock.shutdown(wait=False)
        runtime.close()
    return 0


def cmd_clock(config: Config, _args: argparse.Namespace) -> int:
    """`salescoach clock`: the scheduler alone, until SIGTERM (a deploy) or SIGINT (Ctrl-C) ends it."""
    _hold_stop_signals()
    runtime = _runtime(config)
    from bot import scheduler

    clock = scheduler.background(runtime)
    log.info("clock started: sweeping the outbox every %s s", scheduler.SWEEP_SECONDS)
    try:
        _wait_for_stop("clock")
    finally:
        # A sweep in progress ends after the nudge in hand and gives the rest of its batch back to the outbox.
        runtime.sweeper.stop()
        clock.shutdown(wait=True)
        runtime.close()
    return 0


def cmd_run_due(config: Config, args: argparse.Namespace) -> int:
    """`salescoach run-due [--now T]`: one sweep, then exit."""
    runtime = _runtime(config)
    from bot import scheduler

    try:
        report = scheduler.run_due(runtime, args.now)
    finally:
        runtime.close()
    print(f"run-due: {report}")
    return 0


def cmd_sync_crm(config: Config, args: argparse.Namespace) -> int:
    """`salescoach sync-crm [--since T]`: one pull pass for every workspace with HubSpot, with a progress bar."""
    if not config.secret_key:
        raise ConfigError(
            "SALESCOACH_SECRET_KEY is not set: HubSpot tokens are kept encrypted with it, so without it there is no "
            "HubSpot sync; see README, HubSpot."
        )
    runtime = _runtime(config)
    from bot.usecases import crm

    def bar(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\rsync-crm [{'#' * filled}{'.' * (width - filled)}] {done}/{total} calls")
        sys.stderr.flush()

    try:
        reports = crm.sync_all(runtime, args.since, bar if sys.stderr.isatty() else None)
    finally:
        runtime.close()
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    if not reports:
        print("sync-crm: no workspace has HubSpot connected (a manager connects it in /coach settings)")
        return 1
    for team_id, report in reports.items():
        print(f"sync-crm {team_id}: {report}")
    return 0 if all(r.stopped is None for r in reports.values()) else 1


def cmd_demo(_config: Config | None, args: argparse.Namespace) -> int:
    """`salescoach demo [--out DIR] [--quiet]`: the whole coach through a scripted week, offline.

    It reads none of the settings: the demo brings its own Slack stand-in, tokens, signing secret and a fresh
    SQLite database in DIR. Exit 1 names every expected message that didn't arrive.
    """
    from bot import demo

    demo.quiet_logging()
    return demo.run(args.out, quiet=args.quiet).exit_code


COMMANDS = {
    "serve": cmd_serve,
    "run": cmd_run,
    "clock": cmd_clock,
    "run-due": cmd_run_due,
    "sync-crm": cmd_sync_crm,
    "migrate": cmd_migrate,
    "demo": cmd_demo,
}

if __name__ == "__main__":
    sys.exit(main())
