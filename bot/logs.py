r"""Logging for every command: one line per record, secrets redacted, control characters escaped, JSON on request.

Text from outside (a lead's name, a request's path) can't forge a log line of its own: newlines and other control
characters in a message are written as escapes (`\\n`). `LOG_FORMAT=json` writes each record as one JSON object.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

_SECRET = re.compile(r"\b(xox[abepr]-|xapp-|pat-[a-z0-9]+-)[A-Za-z0-9-]+")  # xoxe-: OAuth refresh tokens; pat-: HubSpot
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: Libraries whose routine chatter belongs below INFO (Alembic's "Context impl", "Will assume ...", plugin set-up).
QUIET_LOGGERS = ("alembic.runtime.migration", "alembic.runtime.plugins")


class RedactSecrets(logging.Filter):
    """Tokens never reach a log line, whoever logs them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _SECRET.search(message):
            record.msg, record.args = _SECRET.sub(r"\1***", message), None
        return True


class EscapeControl(logging.Filter):
    """Control characters in a message are written as escapes, so one record is one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _CONTROL.search(message):
            escaped = _CONTROL.sub(lambda m: _ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}"), message)
            record.msg, record.args = escaped, None
        return True


class Demote(logging.Filter):
    """Routine INFO records of a chatty library are taken as DEBUG: shown only with LOG_LEVEL=debug."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str = "INFO", fmt: str = "text") -> None:
    """Log to stderr, redacted and escaped, as text or (`fmt` "json") JSON lines."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    handler.addFilter(EscapeControl())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        quiet = logging.getLogger(name)
        if not any(isinstance(f, Demote) for f in quiet.filters):
            quiet.addFilter(Demote())
