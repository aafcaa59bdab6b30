"""The HTML transcript: the week's conversations drawn roughly the way Slack shows them, in one offline page.

A sidebar lists #sales, each person's DM with Sales Coach and their App Home; the main pane shows every
conversation with avatars, names, local times, mrkdwn rendered and Block Kit blocks drawn (sections, fields,
context, buttons, dividers, headers, images). The weekly chart the bot uploaded is embedded as a data: URI, and the
CSS is inline: the page makes no network request. Every string from a payload is escaped for HTML.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bot.demo.observed import Event, Expect, Kind, messages, name_of, zone_of
from bot.demo.terminal import ANGLE, BOLD, ITALIC, STRIKE, angle_label, unescape
from bot.demo.workspace import CHANNELS, USERS
from bot.slack.standin import dm_channel

BOT_NAME = "Sales Coach"
BOT_COLOUR = "#1d4f91"  # manifest.yml's background_color
COLOURS = {"U0ANOUK": "#c05621", "U0SAM": "#2f855a", "U0PETRA": "#6b46c1", "U0JORDAN": "#2b6cb0"}
CODE_BLOCK = re.compile(r"```(.+?)```", re.S)
CODE = re.compile(r"`([^`\n]+)`")


def esc(text: object) -> str:
    """Text made safe for HTML (quotes too, for attributes)."""
    return html.escape(str(text), quote=True)


def mrkdwn_html(text: str) -> str:
    """Slack mrkdwn as HTML.

    Slack's escapes are undone and the text HTML-escaped; *bold*, _italic_, ~strike~, `code` and ```pre``` are
    drawn; <#C..> shows as #channel, <@U..> as @name, <url|label> as a link; line breaks are kept.
    """
    keep: list[str] = []

    def hold(fragment: str) -> str:
        keep.append(fragment)
        return f"\x00{len(keep) - 1}\x00"

    text = CODE_BLOCK.sub(lambda m: hold(f"<pre>{esc(unescape(m.group(1).strip(chr(10))))}</pre>"), text)
    text = CODE.sub(lambda m: hold(f"<code>{esc(unescape(m.group(1)))}</code>"), text)

    def angle(match: re.Match[str]) -> str:
        inner = match.group(1)
        label = esc(unescape(angle_label(inner)))
        target = unescape(inner.partition("|")[0])
        if target.startswith(("#", "@", "!")):
            return hold(f'<span class="mention">{label}</span>')
        if target.startswith(("http://", "https://", "mailto:")):
            return hold(f'<a href="{esc(target)}" rel="noopener noreferrer">{label}</a>')
        return hold(label)

    text = ANGLE.sub(angle, text)
    text = esc(unescape(text))
    text = BOLD.sub(r"<b>\1</b>", text)
    text = ITALIC.sub(r"<i>\1</i>", text)
    text = STRIKE.sub(r"<s>\1</s>", text)
    text = text.replace("\n", "<br>")
    return re.sub("\x00(\\d+)\x00", lambda m: keep[int(m.group(1))], text)


def _text_object(obj: dict[str, Any] | None) -> str:
    if not obj:
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_html(str(obj.get("text", "")))
    return esc(obj.get("text", "")).replace("\n", "<br>")


class Blocks:
    """Draws Block Kit blocks; knows the uploaded files (for images) and which button was clicked."""

    def __init__(self, files: dict[str, bytes], clicked: set[str] | None = None) -> None:
        self.files = files
        self.clicked = clicked or set()

    def draw(self, blocks: Sequence[dict[str, Any]]) -> str:
        """The HTML of a list of blocks."""
        return "".join(self.block(b) for b in blocks)

    def block(self, block: dict[str, Any]) -> str:
        """The HTML of one block."""
        kind = block.get("type")
        if kind == "header":
            return f'<div class="b-header">{_text_object(block.get("text"))}</div>'
        if kind == "section":
            parts = []
            if block.get("text"):
                parts.append(f'<div class="b-text">{_text_object(block["text"])}</div>')
            if block.get("fields"):
                fields = "".join(f"<div>{_text_object(f)}</div>" for f in block["fields"])
                parts.append(f'<div class="b-fields">{fields}</div>')
            accessory = self.element(block["accessory"]) if block.get("accessory") else ""
            if accessory:
                return f'<div class="b-section with-accessory"><div>{"".join(parts)}</div>{accessory}</div>'
            return f'<div class="b-section">{"".join(parts)}</div>'
        if kind == "context":
            inner = "".join(self.element(e, small=True) for e in block.get("elements") or [])
            return f'<div class="b-context">{inner}</div>'
        if kind == "actions":
            inner = "".join(self.element(e) for e in block.get("elements") or [])
            return f'<div class="b-actions">{inner}</div>'
        if kind == "divider":
            return '<hr class="b-divider">'
        if kind == "image":
            return self.image(block)
        if kind == "input":
            label = _text_object(block.get("label"))
            return f'<div class="b-input"><label>{label}</label><div class="fake-input"></div></div>'
        return f'<div class="b-unknown">[{esc(kind)} block]</div>'

    def element(self, element: dict[str, Any], *, small: bool = False) -> str:
        """The HTML of a block element (text, image, button, or a placeholder for a menu)."""
        kind = element.get("type")
        if kind in ("mrkdwn", "plain_text"):
            return f"<span>{_text_object(element)}</span>"
        if kind == "image":
            return self.image(element, inline=True)
        if kind == "button":
            label = esc(element.get("text", {}).get("text", ""))
            style = element.get("style") or "default"
            clicked = " clicked" if element.get("action_id") in self.clicked else ""
            title = ' title="clicked"' if clicked else ""
            return f'<span class="btn {esc(style)}{clicked}"{title}>{label}</span>'
        placeholder = _text_object(element.get("placeholder")) or esc(kind)
        return f'<span class="btn select">{placeholder} ▾</span>'

    def image(self, block: dict[str, Any], *, inline: bool = False) -> str:
        """An image: an uploaded file as a data: URI; anything on the network is only named."""
        alt = esc(block.get("alt_text", ""))
        file_id = (block.get("slack_file") or {}).get("id")
        url = str(block.get("image_url") or "")
        data = self.files.get(file_id or "")
        title = _text_object(block.get("title"))
        if data is not None:
            src = "data:image/png;base64," + base64.b64encode(data).decode()
        elif url.startswith("data:"):
            src = url
        else:
            return f'<div class="b-image missing">[image: {alt}]</div>'
        if inline:
            return f'<img class="ctx-img" src="{esc(src)}" alt="{alt}">'
        caption = f"<figcaption>{title or alt}</figcaption>"
        return f'<figure class="b-image">{caption}<img src="{esc(src)}" alt="{alt}"></figure>'


def initials(name: str) -> str:
    """Two letters for an avatar."""
    words = [w for w in re.split(r"\s+", name) if w and w[0].isalpha()]
    if len(words) >= 2:
        return (words[0][0] + words[-1][0]).upper()
    return (name[:2] or "?").upper()


# The bot's avatar: three rising bars, drawn inline (no image to fetch).
BOT_AVATAR = (
    '<svg viewBox="0 0 36 36" width="36" height="36" aria-label="Sales Coach">'
    '<rect x="8" y="20" width="5" height="8" rx="1" fill="#fff"/><rect x="15.5" y="14" width="5" height="14" rx="1" '
    'fill="#fff"/><rect x="23" y="8" width="5" height="20" rx="1" fill="#fff"/></svg>'
)


def _avatar(who: str | None) -> str:
    if who is None:
        return f'<div class="avatar" style="background:{BOT_COLOUR}">{BOT_AVATAR}</div>'
    return f'<div class="avatar" style="background:{COLOURS.get(who, "#555")}">{esc(initials(name_of(who)))}</div>'


def _time(event: Event, viewer: str) -> str:
    local = event.at.astimezone(zone_of(viewer))
    full = f"{local:%A %d %B %Y, %H:%M} {local:%Z}"
    return f'<time title="{esc(full)}">{local:%H:%M}</time>'


class Page:
    """Builds the page from the recording."""

    def __init__(
        self,
        events: Sequence[Event],
        files: dict[str, bytes],
        expectations: Sequence[Expect],
        invariants: dict[str, list[str]],
        seconds: float,
    ) -> None:
        self.events = events
        self.files = files
        self.expectations = expectations
        self.invariants = invariants
        self.failures = [f for x in expectations if (f := x.failure(events))]
        self.failures += [f for found in invariants.values() for f in found]
        self.seconds = seconds
        # Which button was clicked on which message, to mark it.
        self.clicks: dict[str, set[str]] = {}
        for event in events:
            if event.kind == Kind.CLICK and event.ts:
                self.clicks.setdefault(event.ts, set()).add(self._action_of(event))

    def _action_of(self, click: Event) -> str:
        for event in self.events:
            if event.ts == click.ts and event.kind in (Kind.DM, Kind.POST) and event.channel == click.channel:
                for block in event.blocks:
                    for element in block.get("elements") or []:
                        if element.get("type") == "button" and element.get("text", {}).get("text") == click.label:
                            return str(element.get("action_id"))
        return ""

    # -- conversations ----------------------------------------------------------------------------------------------

    def conversation(self, channel: str, viewer: str) -> list[str]:
        """The messages of one conversation, with day dividers, as `viewer` sees them."""
        out: list[str] = []
        day: dt.date | None = None
        for event in self.events:
            if event.channel != channel or event.kind == Kind.HOME:
                continue
            if event.kind == Kind.EPHEMERAL and event.viewer != viewer and channel in CHANNELS:
                continue
            local = event.at.astimezone(zone_of(viewer)).date()
            if local != day:
                day = local
                out.append(f'<div class="day"><span>{local:%A %d %B}</span></div>')
            out.append(self.message(event, viewer))
        if not out:
            out.append('<p class="empty">No messages.</p>')
        return out

    def message(self, event: Event, viewer: str) -> str:
        """One message (or a note of a click) in a conversation."""
        stamp = _time(event, viewer)
        if event.kind == Kind.CLICK:
            who = esc(name_of(event.actor or ""))
            confirmed = " and confirmed" if event.payload.get("confirmed") else ""
            button = f'<span class="btn tiny">{esc(event.label)}</span>'
            return f'<div class="note">{stamp} <b>{who}</b> clicked {button}{confirmed}</div>'
        if event.kind == Kind.COMMAND:
            who = event.actor or viewer
            return (
                f'<div class="msg">{_avatar(who)}<div class="body"><div class="meta"><b>{esc(name_of(who))}</b> '
                f'{stamp}<span class="hint">slash command</span></div>'
                f'<div class="command"><code>{esc(event.label)}</code></div></div></div>'
            )
        blocks = Blocks(self.files, self.clicks.get(event.ts or "", set()))
        body = (
            blocks.draw(event.blocks)
            if event.blocks
            else f'<div class="b-text">{mrkdwn_html(event.payload.get("text", ""))}</div>'
        )
        extra = ""
        if event.kind == Kind.EPHEMERAL:
            extra = '<div class="ephemeral">Only visible to you</div>'
        if event.kind == Kind.FILE:
            names = ", ".join(esc(f.get("title") or f.get("id")) for f in event.payload.get("files") or [])
            body += f'<div class="file">📄 {names}</div>'
        edited = ""
        if event.kind == Kind.UPDATE:
            edited = '<span class="hint">updated after the click</span>'
        return (
            f'<div class="msg bot{" eph" if event.kind == Kind.EPHEMERAL else ""}">{_avatar(None)}<div class="body">'
            f'{extra}<div class="meta"><b>{BOT_NAME}</b><span class="tag">APP</span>{stamp}{edited}</div>'
            f"{body}</div></div>"
        )

    def home(self, user: str) -> str:
        """The latest App Home the bot published for `user`."""
        homes = [e for e in self.events if e.kind == Kind.HOME and e.viewer == user]
        if not homes:
            return '<p class="empty">Not opened during the demo.</p>'
        latest = homes[-1]
        local = latest.at.astimezone(zone_of(user))
        when = f"{local:%A %d %B, %H:%M} {local:%Z}"
        note = f'<p class="hint-line">As published when {esc(name_of(user))} opened it on {esc(when)}.</p>'
        return note + f'<div class="home">{Blocks(self.files).draw(latest.blocks)}</div>'

    # -- the page ---------------------------------------------------------------------------------------------------

    def sections(self) -> Iterable[tuple[str, str, str, str]]:
        """(anchor, sidebar label, header, html) for each pane."""
        for channel, name in CHANNELS.items():
            viewer = next((e.viewer for e in self.events if e.channel == channel and e.kind == Kind.EPHEMERAL), "")
            sub = f"as {name_of(viewer)} sees it" if viewer else ""
            yield (
                f"c-{name}",
                f"# {name}",
                f"# {esc(name)} <span>{esc(sub)}</span>",
                "".join(self.conversation(channel, viewer or channel)),
            )
        for user in USERS:
            header = f"{esc(BOT_NAME)} <span>direct messages, as {esc(name_of(user))} sees them</span>"
            yield f"dm-{user}", name_of(user), header, "".join(self.conversation(dm_channel(user), user))
        for user in USERS:
            header = f"{esc(BOT_NAME)} · Home <span>App Home tab of {esc(name_of(user))}</span>"
            yield f"home-{user}", f"Home: {name_of(user)}", header, self.home(user)

    def checks(self) -> str:
        """Every expectation with ✓ or ✗, and the problems."""
        rows = []
        for expect in self.expectations:
            failure = expect.failure(self.events)
            mark = '<span class="ok">✓</span>' if failure is None else '<span class="bad">✗</span>'
            rows.append(f"<li>{mark} <b>{esc(expect.what)}</b>: {esc(expect.describe())}</li>")
        for rule, found in self.invariants.items():
            if not found:
                rows.append(f'<li><span class="ok">✓</span> <b>{esc(rule)}</b></li>')
            for failure in found:
                rows.append(f'<li><span class="bad">✗</span> <b>{esc(rule)}</b>: {esc(failure)}</li>')
        return f'<ul class="checks">{"".join(rows)}</ul>'

    def write(self, path: Path) -> Path:
        """Write the page to `path`; returns the path."""
        path.write_text(self.render(), encoding="utf-8")
        return path

    def render(self) -> str:
        """The whole page."""
        panes = list(self.sections())
        nav: list[str] = []
        groups = [("Channels", "c-"), ("Direct messages", "dm-"), ("App Home", "home-")]
        for title, prefix in groups:
            nav.append(f'<div class="sec">{title}</div>')
            for anchor, label, _, _ in panes:
                if anchor.startswith(prefix):
                    icon = "#" if prefix == "c-" else ("⌂" if prefix == "home-" else "●")
                    text = label.removeprefix("# ").removeprefix("Home: ")
                    nav.append(f'<a href="#{anchor}"><span class="ic">{icon}</span>{esc(text)}</a>')
        ok = not self.failures
        met = sum(1 for x in self.expectations if x.failure(self.events) is None)
        met += sum(1 for found in self.invariants.values() if not found)
        total = len(self.expectations) + len(self.invariants)
        nav.append('<div class="sec">Checks</div>')
        nav.append(f'<a href="#checks"><span class="ic">{"✓" if ok else "✗"}</span>{met} of {total} met</a>')
        count = messages(self.events)
        status = (
            '<span class="ok">✓ every expected message arrived</span>'
            if ok
            else f'<span class="bad">✗ {len(self.failures)} problem(s): see Checks</span>'
        )
        banner = (
            '<section class="banner"><h1>Sales Coach: a week of a small sales team</h1>'
            "<p>Anouk de Vries (rep, Amsterdam, writes Dutch), Sam Carter (rep, London, English) and their manager "
            "Petra Jansen (Amsterdam, Dutch), Monday 23 to Monday 30 November 2026. Played offline by "
            "<code>salescoach demo</code>: the real bot over HTTP with signed requests, a fresh SQLite database, "
            "the real scheduler on a simulated clock, and a local Slack stand-in that recorded every message "
            "shown here. Times are each reader's own local time.</p>"
            f"<p>{status} · {count} messages · {met} of {total} checks met · "
            f"{self.seconds:.1f} s</p></section>"
        )
        main = [banner]
        for anchor, _, header, body in panes:
            main.append(
                f'<section class="conv" id="{anchor}"><header>{header}</header><div class="msgs">{body}</div></section>'
            )
        checks = f'<header>Checks</header><div class="msgs">{self.checks()}</div>'
        main.append(f'<section class="conv" id="checks">{checks}</section>')
        return (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Sales Coach demo: transcript</title>"
            f'<style>{CSS}</style></head><body><div class="layout">'
            f'<nav class="sidebar"><div class="ws">Sales Coach demo<small>23–30 Nov 2026 · offline</small></div>'
            f"{''.join(nav)}</nav><main>{''.join(main)}</main></div></body></html>\n"
        )


CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.46 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:#1d1c1d;background:#fff}
.layout{display:flex;min-height:100vh}
.sidebar{width:250px;flex:none;background:#3f0e40;color:#cfc3cf;position:sticky;top:0;height:100vh;overflow:auto;
padding:0 0 24px}
.sidebar .ws{color:#fff;font-weight:800;font-size:17px;padding:14px 16px;border-bottom:1px solid #5d2c5d}
.sidebar .ws small{display:block;font-weight:400;font-size:12px;color:#cfc3cf}
.sidebar .sec{padding:14px 16px 4px;font-size:13px;color:#b9a9b9}
.sidebar a{display:block;padding:3px 16px 3px 26px;color:#e8dde8;text-decoration:none;font-size:15px}
.sidebar a:hover{background:#350d36}
.sidebar .ic{display:inline-block;width:18px;opacity:.75}
main{flex:1;min-width:0;max-width:1000px}
.banner{padding:18px 24px;border-bottom:1px solid #ddd;background:#f8f8f8}
.banner h1{margin:0 0 6px;font-size:20px}
.banner p{margin:6px 0;color:#454245}
.conv{border-bottom:6px solid #eee}
.conv header{position:sticky;top:0;z-index:1;background:#fff;border-bottom:1px solid #ddd;padding:12px 24px;
font-weight:800;font-size:18px}
.conv header span{font-weight:400;font-size:13px;color:#616061;margin-left:8px}
.msgs{padding:8px 0 16px}
.day{position:relative;text-align:center;margin:14px 0 6px}
.day:before{content:"";position:absolute;left:0;right:0;top:50%;border-top:1px solid #ddd}
.day span{position:relative;background:#fff;border:1px solid #ddd;border-radius:24px;padding:2px 14px;font-size:13px;
font-weight:700}
.msg{display:flex;gap:10px;padding:6px 24px}
.msg:hover{background:#f8f8f8}
.msg.eph{background:#f4f8fc}
.avatar{flex:none;width:36px;height:36px;border-radius:6px;color:#fff;font-weight:700;font-size:14px;display:flex;
align-items:center;justify-content:center;margin-top:2px}
.body{min-width:0;flex:1}
.meta b{font-weight:900}
.meta time{color:#616061;font-size:12px;margin-left:6px}
.meta .tag{background:#e8e8e8;color:#616061;font-size:10px;font-weight:700;border-radius:2px;padding:1px 4px;
margin-left:5px;vertical-align:1px}
.hint{color:#868686;font-size:12px;margin-left:8px;font-style:italic}
.ephemeral{color:#616061;font-size:12px;margin-bottom:2px}
.command code{background:#f3f3f3;border:1px solid #e1e1e1;border-radius:3px;padding:1px 5px;color:#1d1c1d;
font-size:13px}
.b-section,.b-text{margin:2px 0;overflow-wrap:anywhere}
.with-accessory{display:flex;gap:12px;justify-content:space-between}
.b-fields{display:grid;grid-template-columns:1fr 1fr;gap:4px 16px;margin:4px 0}
.b-context{color:#616061;font-size:12.5px;margin:4px 0;display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.b-header{font-weight:900;font-size:18px;margin:4px 0 6px}
.b-divider{border:0;border-top:1px solid #ddd;margin:10px 0}
.b-actions{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0}
.btn{display:inline-block;border:1px solid #c6c6c6;border-radius:4px;padding:3px 12px;font-weight:700;font-size:13px;
background:#fff;color:#1d1c1d;white-space:nowrap}
.btn.primary{background:#007a5a;border-color:#007a5a;color:#fff}
.btn.danger{color:#e01e5a;border-color:#e8a0b6}
.btn.clicked{outline:3px solid #1264a3;outline-offset:1px}
.btn.tiny{font-size:12px;padding:0 8px}
.btn.select{font-weight:400}
.b-image{margin:8px 0}
.b-image img{max-width:100%;width:720px;border:1px solid #ddd;border-radius:6px;display:block}
.b-image figcaption{font-size:12.5px;color:#616061;margin-bottom:4px}
.b-image.missing{color:#868686;font-style:italic}
.ctx-img{width:20px;height:20px;border-radius:3px}
.b-input label{font-weight:700;display:block}
.fake-input{border:1px solid #c6c6c6;border-radius:4px;height:30px;margin:4px 0 8px}
code{font-family:Monaco,Menlo,Consolas,"Courier New",monospace;font-size:12px;color:#c01343;background:#f7f7f9;
border:1px solid #e1e1e8;border-radius:3px;padding:1px 3px}
pre{font-family:Monaco,Menlo,Consolas,monospace;font-size:12px;background:#f7f7f9;border:1px solid #e1e1e8;
border-radius:4px;padding:8px;white-space:pre-wrap}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
a{color:#1264a3}
.note{padding:2px 24px 2px 70px;color:#616061;font-size:13px}
.note time{font-size:12px;margin-right:4px}
.file{margin-top:4px;border:1px solid #ddd;border-radius:6px;padding:6px 10px;display:inline-block}
.home{margin:8px 24px;padding:16px 20px;border:1px solid #ddd;border-radius:8px;background:#fff}
.hint-line{color:#616061;font-size:13px;margin:8px 24px 0}
.empty{color:#868686;margin:12px 24px}
.checks{list-style:none;padding:4px 24px;margin:0}
.checks li{padding:3px 0}
.ok{color:#007a5a;font-weight:700}
.bad{color:#e01e5a;font-weight:700}
"""
