"""Connecting HubSpot through a public app's OAuth, over HTTP: `GET /hubspot/install`, `GET /hubspot/oauth_redirect`.

Served beside Slack's OAuth routes when HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET are set. A manager's "Connect
HubSpot" link (from `/coach settings` or `/coach hubspot`) opens `/hubspot/install?state=...`, which sends the
browser on to HubSpot's consent page; HubSpot sends it back to `/hubspot/oauth_redirect` with a code (or
`error=access_denied`), and bot.usecases.crm connects the workspace. The pages are English or Dutch by the
browser's Accept-Language, as the Slack install pages are.
"""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from bot.oauth import _page
from bot.runtime import Runtime
from bot.usecases import crm
from coaching.i18n import language_for, t

INSTALL_PATH = crm.INSTALL_PATH
REDIRECT_PATH = "/hubspot/oauth_redirect"
PATHS = (INSTALL_PATH, REDIRECT_PATH)
REASONS = {200: "OK", 302: "Found", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}


def serve(runtime: Runtime, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer one of PATHS (GET or HEAD)."""
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING") or "")

    def one(name: str) -> str:
        return (query.get(name) or [""])[0][:2000]

    accept = str(environ.get("HTTP_ACCEPT_LANGUAGE") or "")
    lang = language_for(accept.split(",")[0].split(";")[0].strip())
    try:
        if environ.get("PATH_INFO") == INSTALL_PATH:
            location = crm.oauth_start(runtime, one("state"))
            start_response(
                "302 Found", [("Location", location), ("Content-Length", "0"), ("Cache-Control", "no-store")]
            )
            return [b""]
        portal = crm.oauth_finish(runtime, one("state"), one("code"), one("error"))
    except crm.NotConnected as stop:
        text = t(lang, f"hubspot_oauth.{stop.key}", reason="{reason}").replace("{reason}", stop.reason)
        return _html(start_response, stop.status, lang, "hubspot_oauth.failed_title", text)
    return _html(
        start_response, 200, lang, "hubspot_oauth.done_title", t(lang, "hubspot_oauth.done_body", portal=portal)
    )


def _html(start_response: Callable[..., Any], status: int, lang: str, title_key: str, text: str) -> list[bytes]:
    body = _page(lang, title_key, f"<p>{html.escape(text)}</p>").encode()
    start_response(
        f"{status} {REASONS.get(status, 'Service Unavailable')}",
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]
