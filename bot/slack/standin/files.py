"""Files upload v2 as Slack serves it: upload URLs, processing, `files.info`, and who may see a file in a block."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.slack.standin.rules import Answer, Params, _json, _slack_files, refusal
from bot.slack.standin.workspace import dm_channel

# How long Slack takes to process an uploaded file before files.info and image blocks know it (ours: Slack says
# only that files are processed asynchronously; a small PNG takes a second or two).
PROCESSING = dt.timedelta(seconds=2)


@dataclass
class StoredFile:
    """A file uploaded through files upload v2: where it was shared and when Slack finished processing it."""

    id: str
    name: str
    title: str = ""
    completed_at: dt.datetime | None = None  # files.completeUploadExternal; None while only the bytes are there
    channels: tuple[str, ...] = ()  # where it was shared; none: private to the bot

    @property
    def permalink(self) -> str:
        """The file's address, as an image block's `slack_file.url` may name it."""
        return f"https://files.slack.com/files-pri/{self.id}/{self.name}"


class Files:
    """The file methods of a `SlackStandIn` (its `files`, `uploads`, `lock`, `clock`, `workspace`)."""

    def _upload_url(self, params: Params) -> Answer:
        file_id = f"F{next(self._ids):08d}"
        with self.lock:
            self.uploads[file_id] = StoredFile(file_id, str(params["filename"]))
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _receive_file(self, params: Params) -> Answer:
        with self.lock:
            self.files[str(params["file_id"])] = params["bytes"]
        return {"ok": True}

    def _complete_upload(self, params: Params) -> Answer:
        files = _json(params["files"])
        if not isinstance(files, list) or not all(isinstance(item, dict) for item in files):
            return refusal("invalid_arguments", "must provide an array of objects [json-pointer:/files]")
        named = [str(params.get("channel_id") or ""), *str(params.get("channels") or "").split(",")]
        shared = tuple(channel for channel in named if channel)
        if not all(self.workspace.has_channel(channel) for channel in shared):
            return refusal("channel_not_found")
        done = []
        with self.lock:
            for item in files:
                file_id = str(item.get("id"))
                if file_id not in self.files:
                    return refusal("file_not_found")
                title = str(item.get("title") or "")
                self.file_titles[file_id] = title
                stored = self.uploads.setdefault(file_id, StoredFile(file_id, file_id))
                stored.title, stored.completed_at, stored.channels = title, self.clock(), shared
                done.append({"id": file_id, "title": title})
        return {"ok": True, "files": done}

    def _file_info(self, params: Params) -> Answer:
        with self.lock:
            stored = self.uploads.get(str(params["file"]))
            if stored is None or not self._processed(stored):
                return refusal("file_not_found")
            size = len(self.files.get(stored.id, b""))
        shared = stored.channels
        return {
            "ok": True,
            "file": {
                "id": stored.id,
                "name": stored.name,
                "title": stored.title,
                "mimetype": "image/png" if stored.name.endswith(".png") else "application/octet-stream",
                "size": size,
                "user": self.workspace.bot_user_id,
                "channels": [c for c in shared if c.startswith("C")],
                "groups": [c for c in shared if c.startswith("G")],
                "ims": [c for c in shared if c.startswith("D")],
                "permalink": stored.permalink,
            },
        }

    def _processed(self, stored: StoredFile) -> bool:
        """Whether Slack has finished processing the file (call with the lock held)."""
        return stored.completed_at is not None and self.clock() >= stored.completed_at + self.processing

    def _file_problems(self, blocks: list[Any], pointer: str, channel: str | None, user: str | None) -> list[str]:
        """An `invalid slack file` per image whose file is unknown, still processing, or unseen by its viewers.

        A message in `channel` is seen by that channel's members, a Home by `user`. A file is seen where it was
        shared: in a channel (open to everyone in the stand-in's workspace) or in a DM by that DM's person.
        """
        problems = []
        with self.lock:
            for where, ref in _slack_files(blocks, pointer):
                stored = self.uploads.get(str(ref.get("id"))) or next(
                    (f for f in self.uploads.values() if ref.get("url") and f.permalink == ref.get("url")), None
                )
                shared = stored.channels if stored else ()
                seen = any(c[:1] in "CG" or c == channel or (user and c == dm_channel(user)) for c in shared)
                if stored is None or not self._processed(stored) or not seen:
                    problems.append(f"invalid slack file [json-pointer:{where}/slack_file]")
        return problems
