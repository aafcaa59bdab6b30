"""What every listener shares: the runtime from the request context, and a guard against raw errors."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from bot.runtime import Runtime
from coaching.i18n import t

log = logging.getLogger("salescoach.handlers")


def runtime(context: Any) -> Runtime:
    """The process's runtime, put in every request's context by bot.app."""
    return context["coach"]


def guarded(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Run a listener so an unexpected error reaches the rep as one polite line, never as a 500 or a trace."""

    @functools.wraps(listener)
    def run(**kwargs: Any) -> Any:
        try:
            return listener(**kwargs)
        except Exception:
            log.exception("listener %s failed", listener.__name__)
            # We may not know the rep's language here: say it in both.
            sorry = f"{t('en', 'error.internal')}\n{t('nl', 'error.internal')}"
            ack, respond = kwargs.get("ack"), kwargs.get("respond")
            if ack is not None and ack.response is None:
                ack(text=sorry, response_type="ephemeral")
            elif respond is not None:
                try:
                    respond(text=sorry, response_type="ephemeral", replace_original=False)
                except Exception:  # noqa: BLE001 - nothing more we can tell the rep
                    log.exception("could not tell the rep about the failure")
            return None

    return run
