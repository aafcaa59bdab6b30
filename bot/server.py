"""Serving the WSGI app with gunicorn, configured in code so `salescoach serve` needs no config file."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import tempfile
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from sqlalchemy.engine import make_url

from bot.config import Config

log = logging.getLogger(__name__)


class _Logger(glogging.Logger):
    """gunicorn's own lines go through the process's handler too: redacted, escaped, JSON with LOG_FORMAT=json."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        ours = logging.getLogger().handlers
        if ours:
            self.error_log.handlers[:] = list(ours)


#: Connections one worker holds at once (idle, slow or busy); past it, new ones wait in the listen backlog.
WORKER_CONNECTIONS = 1000


def default_workers(database_url: str, cores: int | None = None) -> int:
    """How many worker processes `serve` runs when `WEB_CONCURRENCY` doesn't say.

    Greenlets, not processes, carry concurrency: listeners wait on Slack and the database, not the CPU. SQLite takes
    one writer at a time: one process whose requests queue on the database's lock beats two processes polling for
    SQLite's file lock. A PostgreSQL server elsewhere gets two (each holds up to 20 connections: raise
    `WEB_CONCURRENCY` towards the cores with the server's `max_connections` in mind). One on this machine shares its
    cores: half of them, since each call costs the server about as much CPU as the worker (on 2 cores one worker
    logged 305 to 316 calls a second at 16 clients, p99 75 to 87 ms; two workers 274 to 275, p99 88 to 97 ms:
    bench/bench_call.py --postgres).
    """
    if database_url.startswith("sqlite"):
        return 1
    cores = cores or os.cpu_count() or 2
    host = make_url(database_url).host
    local = host in (None, "", "localhost", "127.0.0.1", "::1") or str(host).startswith("/")
    return max(1, cores // 2) if local else 2


class Server(BaseApplication):
    """gunicorn with our WSGI app; each worker builds its own runtime after the fork (no shared connections).

    The workers are gevent's: a greenlet per connection, so hundreds of idle or slow connections (slowloris) cost
    a little memory each, not a thread each, and Slack's requests go on being answered between them. A request's
    headers must arrive within `keepalive` seconds (gunicorn drops the connection otherwise) and its body within
    `bot.app.BODY_SECONDS`; a body over `bot.app.MAX_BODY` is refused from its Content-Length, unread. psycopg 3
    cooperates with gevent by itself (from 3.1.14); SQLite's calls are short and local and run as they are.
    """

    def __init__(self, config: Config, *, workers: int | None = None, with_scheduler: bool = False) -> None:
        self.config = config
        self.with_scheduler = with_scheduler
        self.workers = workers or int(os.environ.get("WEB_CONCURRENCY", default_workers(config.database_url)))
        self.metrics_dir: str | None = None
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Each worker counts on its own; a scrape of any one adds them up from this folder (bot.metrics).
            self.metrics_dir = tempfile.mkdtemp(prefix="salescoach-metrics-")
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = self.metrics_dir
        super().__init__()

    def load_config(self) -> None:
        settings: dict[str, Any] = {
            "bind": f"0.0.0.0:{self.config.port}",
            "workers": 1 if self.with_scheduler else self.workers,
            "worker_class": "gevent",
            "worker_connections": int(os.environ.get("WORKER_CONNECTIONS", str(WORKER_CONNECTIONS))),
            "timeout": 30,
            "graceful_timeout": 10,
            # Also how long a connection may take to send a request's headers: a slow sender is dropped after it.
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "logger_class": _Logger,
            "on_exit": self._on_exit,
            "loglevel": os.environ.get("LOG_LEVEL", "info").lower(),
            "proc_name": "salescoach",
            # gunicorn's control socket lives in the home folder by default: two servers on a host would share it.
            "control_socket_disable": True,
        }
        for key, value in settings.items():
            if key in self.cfg.settings:  # control_socket_disable exists from gunicorn 27 on
                self.cfg.set(key, value)

    def _on_exit(self, _arbiter: Any) -> None:
        if self.metrics_dir:  # the folder this server made for its workers' counters
            shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def load(self) -> Any:
        from bot import runtime as runtime_module
        from bot.app import WsgiApp

        runtime = runtime_module.build(self.config)
        if self.with_scheduler:
            from bot import scheduler

            scheduler.background(runtime)
        app = WsgiApp(runtime)
        settle_heap()
        return app


def settle_heap() -> None:
    """Move everything loaded so far out of the garbage collector's sight (`gc.freeze`), once the app is built.

    A worker holds some 116,000 long-lived objects (SQLAlchemy, slack_sdk, the catalogs, the holiday tables): each
    full collection walked them all, 66 ms during which every request queued on the worker waited (the p99 at 16
    clients). Frozen, a full collection walks only what requests made since, which is freed by reference counting
    anyway; nothing is leaked, the frozen objects simply live as long as the process, as they would have.
    """
    gc.collect()
    gc.freeze()
