"""A local Slack stand-in: a real HTTP server on 127.0.0.1 that answers the bot's Web API calls as Slack would.

One stand-in serves the tests, the demo and the benchmarks. It plays a `Workspace` (the team, its people and
channels, the tokens it lets in), answers each Web API method from one small handler per method, and serves the
URLs Slack hands out: `response_url`s (where a command's or a click's answer goes) and file upload URLs (the body
is the file's raw bytes, kept in `files`).

Every request goes through `handle`, which refuses as Slack does, with Slack's error codes:
- a method it doesn't serve: `unknown_method`; a token the workspace doesn't let in: `invalid_auth`;
- a required argument missing or empty (`REQUIRED`, after slack_sdk's method signatures and Slack's method docs):
  the method's own code (`channel_not_found`, `no_text`, `user_not_found`, `users_list_not_supplied`,
  `message_not_found`, `user_not_in_channel`, `file_not_found`) or `invalid_arguments`;
- blocks Slack wouldn't take, in a message, a response_url answer or a view: each block is parsed and validated
  with slack_sdk's own models (`Block.parse`, `validate_json`), then held to the limits those don't check (50
  blocks a message, 100 a view, no empty text, an image needs a source): `invalid_blocks` with Slack's `errors`
  list (`invalid_blocks_format` when `blocks` isn't a JSON array). A view's own fields (`View.validate_json`: type,
  title, close and submit lengths, ...) that fail: `invalid_arguments`;
- an image whose `slack_file` the person who would see it can't access, or that Slack is still processing:
  `invalid_blocks` ("invalid slack file"), as Slack answers (python-slack-sdk#1658, bolt-python#1251). A file is
  seen by whoever sees a channel it was shared in (its DM with the bot; every channel of the workspace counts as
  open to everyone); a file uploaded without a channel is the bot's alone;
- a message text over 40,000 characters: `msg_too_long`;
- chat.postMessage faster than `rate_limit` allows in one channel (about one message a second, after a burst):
  HTTP 429 `ratelimited` with Retry-After, the seconds until the channel takes a message again.

Files are processed as Slack processes them: `files.info` knows a file only once `processing` has passed after its
files.completeUploadExternal (`file_not_found` before), and an image block may show it only then.

It also reads every mrkdwn text it accepts (a message's text and mrkdwn blocks, a view's, a file's comment) as
Slack renders it, and keeps in `findings` every `<`, `>` or `&` that is no part of a link, mention or escape: Slack
would swallow it or the text around it. `review` does the same for an answer that doesn't go through the Web API
(a slash command's or an action's HTTP answer). The tests and the demo assert there are none.

Time (processing, the rate limit's window, message timestamps) is the stand-in's `clock`, which a test or the demo
moves: nothing sleeps for time to pass.

It records every request (method, parameters, token, the clock's moment, the wall-clock moment, the answer) for
`mark`/`since`/`of`/`wait_for`; with `record=False` it keeps only a count per method, for benchmarks that make
tens of thousands of calls. `fail` makes a method answer 429 (with Retry-After) or a 5xx; `delay` makes it slow.

In a process of its own (benchmarks, so that it has its own CPU):

    python -m bot.slack.standin [--token T ...] [--count-only]

prints its port number alone on the first line of stdout and serves until SIGTERM (exit 0). A workspace with no
people of its own: any user has a default profile and any channel exists; without --token any token is let in.
`--count-only` keeps a count per method and plays Slack without its rate limit: a benchmark measures the bot, not
Slack's pacing (`SlackStandIn(rate_limit=None)` does the same in-process).

Besides Slack's URLs it answers one control path, not a Slack method and never counted:
`POST {base_url}/_standin/counts` answers `{"ok": true, "counts": {method: n}}`.

Socket Mode is served beside it by `bot.slack.standin_socket`, which answers `apps.connections.open` here.
"""

from bot.slack.standin.files import PROCESSING, StoredFile
from bot.slack.standin.recording import READABLE, Call, ResponseUrl, StandInTimeout, texts, wall_clock
from bot.slack.standin.rules import (
    COUNTS_PATH,
    FILE_UPLOAD,
    MESSAGE_BLOCKS,
    MESSAGE_TEXT,
    RATE_LIMIT,
    REQUIRED,
    RESPONSE_URL,
    VIEW_BLOCKS,
    Answer,
    Params,
    RateLimit,
    block_problems,
    mrkdwn_problems,
    refusal,
)
from bot.slack.standin.server import Reply, SlackStandIn
from bot.slack.standin.workspace import UnknownUsers, Workspace, default_profile, dm_channel

__all__ = [
    "COUNTS_PATH",
    "FILE_UPLOAD",
    "MESSAGE_BLOCKS",
    "MESSAGE_TEXT",
    "PROCESSING",
    "RATE_LIMIT",
    "READABLE",
    "REQUIRED",
    "RESPONSE_URL",
    "VIEW_BLOCKS",
    "Answer",
    "Call",
    "Params",
    "RateLimit",
    "Reply",
    "ResponseUrl",
    "SlackStandIn",
    "StandInTimeout",
    "StoredFile",
    "UnknownUsers",
    "Workspace",
    "block_problems",
    "default_profile",
    "dm_channel",
    "mrkdwn_problems",
    "refusal",
    "texts",
    "wall_clock",
]
