"""Slack's rules the stand-in holds the bot to: required arguments, blocks, limits, mrkdwn, the rate limit."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

# Not Web API methods: the URLs Slack hands out, recorded under these names.
RESPONSE_URL = "response_url"
FILE_UPLOAD = "file_upload"
COUNTS_PATH = "/_standin/counts"

Params = dict[str, Any]
Answer = dict[str, Any]

# Slack's documented limits that slack_sdk's models don't check themselves.
MESSAGE_BLOCKS = 50

VIEW_BLOCKS = 100

MESSAGE_TEXT = 40_000

# The arguments each method can't do without: per group of alternatives (one of them must be given, not empty),
# the error Slack answers when none is. From slack_sdk's method signatures (web/client.py) and Slack's method docs;
# `invalid_arguments` where a method names no error of its own.
_TEXT = ("text", "blocks", "attachments")

REQUIRED: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "users.info": ((("user",), "user_not_found"),),
    "conversations.open": ((("users", "channel"), "users_list_not_supplied"),),
    "chat.postMessage": ((("channel",), "channel_not_found"), (_TEXT, "no_text")),
    "chat.update": ((("channel",), "channel_not_found"), (("ts",), "message_not_found"), (_TEXT, "no_text")),
    "chat.postEphemeral": (
        (("channel",), "channel_not_found"),
        (("user",), "user_not_in_channel"),
        (_TEXT, "no_text"),
    ),
    "views.open": ((("trigger_id", "interactivity_pointer"), "invalid_arguments"), (("view",), "invalid_arguments")),
    "views.publish": ((("user_id",), "invalid_arguments"), (("view",), "invalid_arguments")),
    "views.update": ((("view_id", "external_id"), "invalid_arguments"), (("view",), "invalid_arguments")),
    "files.getUploadURLExternal": ((("filename",), "invalid_arguments"), (("length",), "invalid_arguments")),
    "files.completeUploadExternal": ((("files",), "invalid_arguments"),),
    "files.info": ((("file",), "file_not_found"),),
}

# What Slack reads as markup in mrkdwn: a mention, channel, special mention or date (`<@U1>`, `<#C1>`, `<!here>`,
# `<!date^...|...>`), a link (`<https://...|label>`, `<mailto:...>`), the escapes `&amp;` `&lt;` `&gt;`, and the
# `>` that opens a quoted line. Any other `<`, `>` or `&` renders wrongly.
# Written here apart from the bot's own (coaching.mrkdwn), on purpose: a checker sharing the code it checks would
# miss that code's mistakes.
_SLACK_MARKUP = re.compile(r"<(?:[@#!]|https?://|mailto:)[^<>\n]*>|&(?:amp|lt|gt);|^>", re.MULTILINE)


@dataclass(frozen=True)
class RateLimit:
    """chat.postMessage's pace in one channel: `per_second` messages a second once a burst of `burst` is spent.

    Slack "will generally allow an app to post 1 message per second to a specific channel", with "generous burst
    behavior"; how generous it doesn't say, so `burst` is ours.
    """

    per_second: float = 1.0
    burst: int = 30


RATE_LIMIT = RateLimit()


def refusal(error: str, *problems: str) -> Answer:
    """Slack's answer to a call it refuses: the error code, and for invalid_blocks and invalid_arguments why."""
    answer: Answer = {"ok": False, "error": error}
    if error == "invalid_blocks":
        answer["errors"] = list(problems)
    if problems:
        answer["response_metadata"] = {"messages": [f"[ERROR] {problem}" for problem in problems]}
    return answer


def block_problems(blocks: Any, limit: int, pointer: str = "/blocks", *, at_least: int = 0) -> list[str]:
    """Why Slack would refuse `blocks` (none: it takes them), each naming where as Slack does (`json-pointer`).

    Each block is parsed and validated with slack_sdk's models (`Block.parse`, `to_dict`, which runs
    `validate_json` on the block and everything inside it); then come the rules those don't check: the number of
    blocks, text objects with no text, images with neither `image_url` nor `slack_file`.
    """
    if not isinstance(blocks, list):
        return [f"must provide an array [json-pointer:{pointer}]"]
    problems = []
    if not at_least <= len(blocks) <= limit:
        problems.append(f"must provide between {at_least} and {limit} items [json-pointer:{pointer}]")
    for i, raw in enumerate(blocks):
        where = f"{pointer}/{i}"
        try:
            block = Block.parse(raw) if isinstance(raw, dict) else None
            if block is None:
                problems.append(f"unsupported block type [json-pointer:{where}]")
                continue
            block.to_dict()
        except (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError) as err:
            problems.append(f"{err} [json-pointer:{where}]")
        problems += [f"{why} [json-pointer:{where}{inner}]" for inner, why in _unchecked(raw)]
    return problems


def _unchecked(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """The problems Slack finds in a block that slack_sdk's validators let through, with where they are."""
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and not node.get("text"):
            yield f"{path}/text", "must be more than 0 characters"
        if node.get("type") == "image" and not (node.get("image_url") or node.get("slack_file")):
            yield path, "must provide either image_url or slack_file"
        for key, value in node.items():
            yield from _unchecked(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _unchecked(item, f"{path}/{i}")


def _slack_files(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every `slack_file` reference in blocks (an image block's or an image element's), with where it is."""
    if isinstance(node, dict):
        if isinstance(node.get("slack_file"), dict):
            yield path, node["slack_file"]
        for key, value in node.items():
            yield from _slack_files(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _slack_files(item, f"{path}/{i}")


def _mrkdwn_of(payload: Any) -> Iterator[tuple[str, str]]:
    """The texts Slack reads as mrkdwn in a message payload, with where each is.

    Its `text` (unless `mrkdwn` is false) and every mrkdwn text object in its blocks.
    """
    if not isinstance(payload, Mapping):
        return
    text = payload.get("text")
    if isinstance(text, str) and str(payload.get("mrkdwn", True)).lower() != "false":
        yield "/text", text

    def walk(node: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                yield f"{path}/text", node["text"]
            for key, value in node.items():
                yield from walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield from walk(item, f"{path}/{i}")

    yield from walk(_json(payload.get("blocks")), "/blocks")


def mrkdwn_problems(text: str) -> list[str]:
    """Each `<`, `>` or `&` in `text` that Slack, reading it as mrkdwn, would not render as written.

    Slack reads `<` to the next `>` as a link, mention or command and `&` as the start of an escape, inside
    backticks too: `/call <lead> <outcome>` reaches the rep as `/call  `. Markup and escapes are fine.
    """
    problems = []
    plain = _SLACK_MARKUP.sub(lambda match: " " * len(match.group()), text)  # markup blanked, offsets kept
    for offset, char in enumerate(plain):
        if char in "<>&":
            shown = text[max(0, offset - 24) : offset + 24].replace("\n", " ")
            problems.append(f"{char!r} at {offset} would not render as written, in {shown!r}")
    return problems


def _json(value: Any) -> Any:
    """A parameter that may arrive as a JSON string (form-encoded calls) or as JSON already; None when unreadable."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value
