"""The Web API methods a stand-in answers, one handler each (files are `files`'s), and Slack's pace per channel."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.views import View

from bot.slack.standin.rules import (
    MESSAGE_BLOCKS,
    MESSAGE_TEXT,
    RESPONSE_URL,
    VIEW_BLOCKS,
    Answer,
    Params,
    _json,
    _mrkdwn_of,
    block_problems,
    mrkdwn_problems,
    refusal,
)
from bot.slack.standin.workspace import dm_channel


class Methods:
    """The Web API methods of a `SlackStandIn` (its `workspace`, `clock`, `lock`, `findings`, rate limit)."""

    def _throttle(self, channel: str) -> int:
        """0 when `channel` takes one more message now (and it is counted), else the seconds until it does."""
        limit = self.rate_limit
        if limit is None:
            return 0
        now = self.clock()
        with self.lock:
            tokens, then = self._buckets.get(channel, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + max((now - then).total_seconds(), 0.0) * limit.per_second)
            if tokens < 1.0:
                self._buckets[channel] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / limit.per_second))
            self._buckets[channel] = (tokens - 1.0, now)
            return 0

    def _message_ts(self) -> str:
        return f"{int(self.clock().timestamp())}.{next(self._ts):06d}"

    def _auth_test(self, params: Params) -> Answer:
        space = self.workspace
        return {
            "ok": True,
            "url": f"https://{space.team_domain}.slack.com/",
            "team": space.team_name,
            "team_id": space.team_id,
            "user": space.bot_name,
            "user_id": space.bot_user_id,
            "bot_id": space.bot_id,
        }

    def _users_info(self, params: Params) -> Answer:
        user_id = str(params.get("user"))
        profile = self.workspace.profile(user_id)
        if profile is None:
            return {"ok": False, "error": "user_not_found"}
        user = {"id": user_id, "team_id": self.workspace.team_id, "is_bot": False, "deleted": False, "is_admin": False}
        # As Slack answers: the profile's fields nested under `profile`, `email` among them (scope users:read.email).
        fields = {"real_name": profile.get("real_name", ""), "display_name": profile.get("name", "")}
        email = profile.pop("email", None)
        if email:
            fields["email"] = email
        return {"ok": True, "user": {**user, **profile, "profile": fields}}

    def _conversations_open(self, params: Params) -> Answer:
        user_id = str(params.get("users", "")).split(",")[0]
        if self.workspace.profile(user_id) is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": dm_channel(user_id)}}

    def _post_message(self, params: Params) -> Answer:
        return self._message(params, self._message_ts())

    def _update_message(self, params: Params) -> Answer:
        return self._message(params, str(params["ts"]))

    def _message(self, params: Params, ts: str) -> Answer:
        channel = str(params["channel"])
        if not self.workspace.has_channel(channel):
            return refusal("channel_not_found")
        refused = self._message_refusal(params, channel=channel, user=self.workspace.dm_user(channel))
        return refused or {"ok": True, "channel": channel, "ts": ts}

    def _post_ephemeral(self, params: Params) -> Answer:
        channel = str(params["channel"])
        if not self.workspace.has_channel(channel):
            return refusal("channel_not_found")
        refused = self._message_refusal(params, channel=channel, user=str(params["user"]))
        return refused or {"ok": True, "message_ts": self._message_ts()}

    def _respond(self, params: Params) -> Answer:
        target = self.response_target(str(params.get("_url")))
        channel, user = (target.channel, target.user) if target else (None, None)
        return self._message_refusal(params, channel=channel, user=user) or {"ok": True}

    def _message_refusal(self, params: Params, *, channel: str | None, user: str | None) -> Answer | None:
        """Why Slack would refuse a message's text or blocks, seen in `channel` by `user`; None when it takes them."""
        if len(str(params.get("text") or "")) > MESSAGE_TEXT:
            return refusal("msg_too_long")
        blocks = params.get("blocks")
        if blocks in (None, ""):
            return None
        blocks = _json(blocks)
        if not isinstance(blocks, list):
            return refusal("invalid_blocks_format")
        problems = block_problems(blocks, MESSAGE_BLOCKS) + self._file_problems(blocks, "/blocks", channel, user)
        return refusal("invalid_blocks", *problems) if problems else None

    def _view(self, params: Params) -> Answer:
        view = _json(params["view"])
        if not isinstance(view, dict):
            return refusal("invalid_arguments", "must provide an object [json-pointer:/view]")
        try:
            # The view's own fields; its blocks are checked one by one below, where Slack names each problem.
            fields = View(**{**view, "blocks": None})
            fields.blocks = None  # type: ignore[assignment]  # View makes None an empty list, which it refuses
            fields.validate_json()
        except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as err:
            return refusal("invalid_arguments", f"{err} [json-pointer:/view]")
        blocks = view.get("blocks")
        if not isinstance(blocks, list):
            return refusal("invalid_arguments", "must provide an array [json-pointer:/view/blocks]")
        # Who sees the view: the Home's owner. A modal's person is the trigger's, whom the stand-in doesn't know,
        # so an image in a modal must be shared in a channel.
        viewer = str(params["user_id"]) if params.get("user_id") else None
        problems = block_problems(blocks, VIEW_BLOCKS, "/view/blocks", at_least=1)
        problems += self._file_problems(blocks, "/view/blocks", None, viewer)
        if problems:
            return refusal("invalid_blocks", *problems)
        return {"ok": True, "view": {"id": f"V{next(self._ids):08d}", "type": view.get("type")}}

    def review(self, source: str, payload: Mapping[str, Any]) -> list[str]:
        """Read an answer that reaches Slack outside the Web API (a slash command's or an action's HTTP answer).

        Blocks Slack would refuse and mrkdwn it would render wrongly are added to `findings` and returned.
        """
        blocks = _json(payload.get("blocks"))
        found = [f"{source} {why}" for why in block_problems(blocks, MESSAGE_BLOCKS)] if blocks else []
        found += [f"{source} {where}: {why}" for where, text in _mrkdwn_of(payload) for why in mrkdwn_problems(text)]
        with self.lock:
            self.findings.extend(found)
        return found

    def _read_mrkdwn(self, method: str, params: Params) -> None:
        """Add to `findings` the mrkdwn of an accepted call that Slack would render wrongly."""
        if method.startswith("views."):
            payload: Any = {"blocks": (_json(params.get("view")) or {}).get("blocks")}
        elif method == "files.completeUploadExternal":
            payload = {"text": params.get("initial_comment")}
        elif method in ("chat.postMessage", "chat.update", "chat.postEphemeral", RESPONSE_URL):
            payload = params
        else:
            return
        found = [f"{method} {where}: {why}" for where, text in _mrkdwn_of(payload) for why in mrkdwn_problems(text)]
        if found:
            with self.lock:
                self.findings.extend(found)

    def _connections_open(self, params: Params) -> Answer:
        # Without a Socket Mode stand-in no app-level token is valid here.
        if self.socket_mode_url is None:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_mode_url()}
