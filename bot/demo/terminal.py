"""The terminal transcript: each event on a line or two, in the viewer's local time, from the real payloads.

Messages are flattened from their Block Kit blocks: sections and context as text (Slack's mrkdwn made plain),
buttons as `[No answer] [Reached]`, an image as `[image: ...]`. Long messages are cut with a pointer to the HTML
transcript; a run of follow-up reminders in one sweep is summarised after the first one a rep has seen in full.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import shutil
import textwrap
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

from bot.demo.observed import Event, Kind, first_name, name_of, zone_of
from bot.demo.workspace import CHANNELS, USERS

ANGLE = re.compile(r"<([^<>\n]+)>")
BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
MAX_LINES = 12


def angle_label(inner: str) -> str:
    """What Slack shows for `<...>`: <#C..> as #channel, <@U..> as @name, <url|label> as the label."""
    target, _, label = inner.partition("|")
    if target.startswith("#"):
        return "#" + (label or CHANNELS.get(target[1:], target[1:]))
    if target.startswith("@"):
        user = USERS.get(target[1:])
        return "@" + (str(user["real_name"]) if user else label or target[1:])
    if target.startswith("!"):
        special = target[1:].split("^")[0]
        return label or ("@" + special if special in ("here", "channel", "everyone") else special)
    return label or target


def unescape(text: str) -> str:
    """Undo Slack's three escapes."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class Style:
    """ANSI styling, or none."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color and text else text

    # Each style is `wrap` with its SGR code: bold, faint, italic, the bot's colour, success, failure.
    bold = functools.partialmethod(wrap, "1")
    dim = functools.partialmethod(wrap, "2")
    italic = functools.partialmethod(wrap, "3")
    accent = functools.partialmethod(wrap, "36")
    good = functools.partialmethod(wrap, "32")
    bad = functools.partialmethod(wrap, "1;31")


def mrkdwn_plain(text: str, style: Style) -> str:
    """Slack mrkdwn as terminal text: links and mentions resolved, escapes undone, *bold* and _italic_ styled."""
    text = ANGLE.sub(lambda m: angle_label(m.group(1)), text)
    text = unescape(text)
    text = BOLD.sub(lambda m: style.bold(m.group(1)), text)
    text = ITALIC.sub(lambda m: style.italic(m.group(1)), text)
    return STRIKE.sub(lambda m: m.group(1), text)


def _element_text(element: dict[str, Any], style: Style) -> str:
    kind = element.get("type")
    if kind in ("mrkdwn", "plain_text"):
        return mrkdwn_plain(str(element.get("text", "")), style) if kind == "mrkdwn" else str(element.get("text", ""))
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind == "button":
        return "[" + str(element.get("text", {}).get("text", "")) + "]"
    return ""


def block_lines(blocks: Sequence[dict[str, Any]], style: Style) -> list[str]:
    """The lines a terminal shows for a list of Block Kit blocks."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(style.bold(str(block.get("text", {}).get("text", ""))))
        elif kind == "section":
            if block.get("text"):
                lines += _element_text(block["text"], style).split("\n")
            for field in block.get("fields") or []:
                lines += _element_text(field, style).split("\n")
            if block.get("accessory"):
                lines.append(_element_text(block["accessory"], style))
        elif kind == "context":
            texts = [_element_text(e, style) for e in block.get("elements") or []]
            lines += style.dim(" · ".join(t for t in texts if t)).split("\n")
        elif kind == "actions":
            lines.append(" ".join(_element_text(e, style) for e in block.get("elements") or []))
        elif kind == "divider":
            lines.append(style.dim("─" * 24))
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
        elif kind == "input":
            lines.append(f"{block.get('label', {}).get('text', '')}: [______]")
    return lines


def event_lines(event: Event, style: Style) -> list[str]:
    """The body of a bot event, as terminal lines."""
    if event.blocks:
        lines = block_lines(event.blocks, style)
    else:
        lines = mrkdwn_plain(str(event.payload.get("text", "")), style).split("\n")
    if event.kind == Kind.FILE:
        names = ", ".join(str(f.get("title") or f.get("id")) for f in event.payload.get("files") or [])
        lines.append(f"[file: {names}]")
    return [line for line in lines if line.strip()] or ["(empty)"]


class Printer:
    """Writes the transcript to a stream as the week happens; also keeps the plain text for transcript.txt."""

    def __init__(self, out: TextIO | None, *, color: bool | None = None, width: int | None = None) -> None:
        self.out = out
        if color is None:
            color = bool(out is not None and hasattr(out, "isatty") and out.isatty() and not os.environ.get("NO_COLOR"))
        self.style = Style(color)
        self.plain = Style(False)
        self.width = width or max(72, min(shutil.get_terminal_size((110, 24)).columns, 120))
        self.lines: list[str] = []  # the same transcript without styling

    # -- output -------------------------------------------------------------------------------------------------

    def _emit(self, styled: str, plain: str | None = None) -> None:
        self.lines.append(plain if plain is not None else styled)
        if self.out is not None:
            print(styled, file=self.out, flush=True)

    def line(self, text: str = "", *, styled: str | None = None) -> None:
        """A line of narration."""
        self._emit(styled if styled is not None else text, text)

    def heading(self, text: str) -> None:
        """A day's heading."""
        bar = "━" * max(4, self.width - len(text) - 4)
        self._emit(self.style.bold(f"━━ {text} {bar}"), f"━━ {text} {bar}")

    # -- events -------------------------------------------------------------------------------------------------

    def events(self, events: Iterable[Event]) -> None:
        """Print events as they happened."""
        for event in events:
            self.event(event)

    def event(self, event: Event) -> None:
        """One event: who, when, and what they saw or did."""
        self._out(lambda style: self._render(event, style))

    def _out(self, render: Callable[[Style], str]) -> None:
        self.lines.append(render(self.plain))
        if self.out is not None:
            print(render(self.style), file=self.out, flush=True)

    def _render(self, event: Event, style: Style) -> str:
        stamp = self._stamp(event.at, event.viewer)
        who = name_of(event.actor or event.viewer)
        indent = " " * 13
        if event.kind == Kind.COMMAND:
            return f"{stamp}{style.bold(who)}{self._where(event)}  ▸ {event.label}"
        if event.kind == Kind.CLICK:
            confirms = " and confirms" if event.payload.get("confirmed") else ""
            return f"{stamp}{style.bold(who)} clicks {style.bold('[' + event.label + ']')}{confirms}"
        if event.kind == Kind.OPEN_HOME:
            return f"{stamp}{style.bold(who)} opens the Sales Coach App Home tab"
        header = {
            Kind.EPHEMERAL: f"Sales Coach, only visible to {first_name(event.viewer)}",
            Kind.DM: f"Sales Coach ▸ DM to {first_name(event.viewer)}",
            Kind.POST: f"Sales Coach ▸ post in {name_of(event.viewer)}",
            Kind.UPDATE: f"Sales Coach ▸ updates the message to {first_name(event.viewer)}",
            Kind.HOME: f"Sales Coach ▸ App Home of {first_name(event.viewer)}",
            Kind.MODAL: f"Sales Coach ▸ form for {first_name(event.viewer)}",
            Kind.FILE: f"Sales Coach ▸ file to {first_name(event.viewer)}",
        }[event.kind]
        body = event_lines(event, style)
        if len(body) > MAX_LINES:
            more = len(body) - MAX_LINES + 1
            body = body[: MAX_LINES - 1] + [style.dim(f"… {more} more lines in the HTML transcript")]
        wrapped = [w for line in body for w in self.wrap(line, indent + "  ")]
        return f"{stamp}{style.accent(header)}:\n" + "\n".join(wrapped)

    def _stamp(self, at: dt.datetime, viewer: str) -> str:
        local = at.astimezone(zone_of(viewer))
        return f"  {local:%H:%M} {local:%Z}".ljust(13)

    def _where(self, event: Event) -> str:
        return f" in {name_of(event.channel)}" if event.channel in CHANNELS else ""

    def wrap(self, line: str, indent: str) -> list[str]:
        """`line` wrapped to the transcript's width after `indent` (continuations indented two more)."""
        if len(_strip_ansi(line)) + len(indent) <= self.width:
            return [indent + line]
        return textwrap.wrap(line, self.width, initial_indent=indent, subsequent_indent=indent + "  ") or [indent]


def _strip_ansi(text: str) -> str:
    return re.sub(r"\033\[[0-9;]*m", "", text)
