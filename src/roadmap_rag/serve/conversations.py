"""A learner's chat conversations, kept per profile so that reloading the page does not lose them.

Each conversation is one JSON file, ``<data dir>/conversations/<profile>/<id>.json``, written atomically (a
reader sees the old file or the new one). The profile is the progress store's (progress.is_profile): the
learner's named profile, else the id in the page's link. Answers are stored through ``Answer.to_dict`` and
rebuilt field by field against the data model's type hints, so a damaged, hand-edited or older file is
reported as unreadable and skipped, never shown half-built.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
import types
import uuid
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from roadmap_rag.errors import ConfigError
from roadmap_rag.files import read_json, write_json
from roadmap_rag.learn.progress import checked_profile
from roadmap_rag.serve.display import cited_in_order, escape_markdown, page_link, safe_url
from roadmap_rag.settings import Settings
from roadmap_rag.types import Answer, Place, Turn

FORMAT = 1  # the file's layout; a file of another format is skipped as unreadable
TITLE_MAX = 60  # a title is the first question, shortened to this many characters
RENAME_MAX = 100
_ID = re.compile(r"[0-9a-f]{12}")


@dataclass
class Exchange:
    """One question and what answered it: an answer, or the next sections to study (``next``).
    ``seconds``: how long the learner waited for it, as the app measured it."""

    question: str
    answer: Answer | None = None
    next: list[Place] | None = None
    seconds: float = 0.0


@dataclass
class Conversation:
    """A conversation: its exchanges, and the history a follow-up question is resolved against."""

    id: str
    title: str
    created: float  # seconds since the epoch
    updated: float
    turns: list[Exchange] = field(default_factory=list)
    history: list[Turn] = field(default_factory=list)

    @classmethod
    def start(cls) -> Conversation:
        """A new, empty conversation (saved once it has a turn)."""
        now = time.time()
        return cls(id=uuid.uuid4().hex[:12], title="", created=now, updated=now)

    def add(self, exchange: Exchange, history: list[Turn]) -> None:
        """Append an exchange; the first question names the conversation."""
        if not self.title:
            self.title = shorten(exchange.question)
        self.turns.append(exchange)
        self.history = list(history)


def shorten(question: str, limit: int = TITLE_MAX) -> str:
    """A question as a title: one line, cut at a word within ``limit`` characters, with an ellipsis."""
    flat = " ".join(question.split())
    if len(flat) <= limit:
        return flat or "Untitled"
    cut = flat[: limit - 1].rsplit(" ", 1)[0] if " " in flat[: limit - 1] else flat[: limit - 1]
    return cut.rstrip() + "…"


@dataclass(frozen=True)
class Listing:
    """A profile's conversations, most recently updated first, and the files that could not be read."""

    conversations: list[Conversation]
    unreadable: list[str]


class ConversationStore:
    """The conversations of one profile, one file each under ``<data dir>/conversations/<profile>/``."""

    _lock = threading.Lock()

    def __init__(self, settings: Settings, profile: str) -> None:
        self.profile = checked_profile(profile)
        self.folder: Path = settings.data_dir / "conversations" / profile

    def path(self, conversation_id: str) -> Path:
        """The file of a conversation; an id that is not one of ours (a path) is refused."""
        if _ID.fullmatch(conversation_id) is None:
            raise ConfigError(f"conversation id {conversation_id!r}: 12 lowercase hex digits expected")
        return self.folder / f"{conversation_id}.json"

    def save(self, conversation: Conversation) -> None:
        """Write the conversation, marking it the most recently updated. Raises OSError when the data dir
        cannot be written."""
        conversation.updated = max(time.time(), conversation.updated)
        with self._lock:
            write_json(self.path(conversation.id), to_record(conversation), ensure_ascii=False)

    def load(self, conversation_id: str) -> Conversation | None:
        """The conversation, or None when its file is missing or unreadable."""
        return from_record(read_json(self.path(conversation_id)))

    def listing(self) -> Listing:
        """Every readable conversation, most recently updated first; the names of the files skipped."""
        found: list[Conversation] = []
        unreadable: list[str] = []
        paths = sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []
        for path in paths:
            conversation = from_record(read_json(path)) if _ID.fullmatch(path.stem) else None
            if conversation is None or conversation.id != path.stem:
                unreadable.append(path.name)
            else:
                found.append(conversation)
        found.sort(key=lambda c: (c.updated, c.created, c.id), reverse=True)
        return Listing(found, unreadable)

    def latest(self) -> Conversation | None:
        """The conversation updated last (the one a reloaded page shows), or None."""
        conversations = self.listing().conversations
        return conversations[0] if conversations else None

    def rename(self, conversation_id: str, title: str) -> Conversation | None:
        """Give a conversation a new title (one line, at most RENAME_MAX characters; a blank one is ignored)."""
        conversation = self.load(conversation_id)
        flat = " ".join(title.split())[:RENAME_MAX]
        if conversation is None or not flat:
            return conversation
        conversation.title = flat
        self.save(conversation)
        return conversation

    def delete(self, conversation_id: str) -> bool:
        """Remove a conversation's file; False when there was none."""
        path = self.path(conversation_id)
        with self._lock:
            if not path.exists():
                return False
            path.unlink()
            return True


def to_record(conversation: Conversation) -> dict[str, Any]:
    """The file's JSON: each answer by ``Answer.to_dict``, less its history (the conversation keeps one)."""
    turns = [
        {
            "question": t.question,
            "answer": replace(t.answer, history=[]).to_dict() if t.answer else None,
            "next": [dataclasses.asdict(p) for p in t.next] if t.next is not None else None,
            "seconds": t.seconds,
        }
        for t in conversation.turns
    ]
    return {
        "format": FORMAT,
        "id": conversation.id,
        "title": conversation.title,
        "created": conversation.created,
        "updated": conversation.updated,
        "turns": turns,
        "history": [dataclasses.asdict(t) for t in conversation.history],
    }


def from_record(data: Any) -> Conversation | None:
    """A conversation from its JSON, or None when it is not one this version wrote (any field missing or of
    another type)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    try:
        conversation = _build(Conversation, data)
    except (ValueError, TypeError, KeyError):
        return None
    assert isinstance(conversation, Conversation)
    return conversation if _ID.fullmatch(conversation.id) else None


def _build(cls: type, data: Any) -> Any:
    """An instance of dataclass ``cls`` from a JSON object, each field checked against its type hint."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: an object expected")
    hints = get_type_hints(cls)
    kwargs = {f.name: _value(hints[f.name], data[f.name]) for f in fields(cls) if f.init and f.name in data}
    return cls(**kwargs)  # a required field missing: TypeError


def _value(hint: Any, value: Any) -> Any:
    """``value`` as type ``hint``: lists to lists or tuples, objects to dataclasses, strings to enums."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return _union(get_args(hint), value)
    if origin is Literal:
        if value not in get_args(hint):
            raise ValueError(f"{value!r} is not one of {get_args(hint)}")
        return value
    if origin in (list, tuple):
        return _sequence(origin, get_args(hint), value)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _build(hint, value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    return _scalar(hint, value)


def _union(options: tuple[Any, ...], value: Any) -> Any:
    if value is None and type(None) in options:
        return None
    for option in options:
        if option is not type(None):
            try:
                return _value(option, value)
            except (ValueError, TypeError, KeyError):
                continue
    raise ValueError(f"{value!r} matches none of {options}")


def _sequence(origin: Any, args: tuple[Any, ...], value: Any) -> Any:
    if not isinstance(value, list):
        raise ValueError("a list expected")
    if origin is tuple and args and args[-1] is not Ellipsis:  # a pair: tuple[str, str]
        if len(args) != len(value):
            raise ValueError(f"{len(args)} items expected")
        return tuple(_value(a, v) for a, v in zip(args, value, strict=True))
    items = [_value(args[0], v) for v in value] if args else list(value)
    return tuple(items) if origin is tuple else items


def _scalar(hint: Any, value: Any) -> Any:
    if hint is Any:
        return value
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint in (str, bool) and isinstance(value, hint):
        return value
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"{value!r} is not a {hint}")


def conversation_markdown(conversation: Conversation) -> str:
    """The conversation as a Markdown file: each question, its answer's text and the sources it cites,
    numbered as the answer cites them (label, and the link where the source has one). Document and model text
    is escaped as the app shows it: the file renders it literally, never as links, images or HTML."""
    lines = [f"# {escape_markdown(conversation.title or 'Conversation')}", ""]
    for exchange in conversation.turns:
        lines += [f"## {escape_markdown(exchange.question)}", ""]
        if exchange.answer is not None:
            lines += [escape_markdown(exchange.answer.text), ""]
            lines += _sources_markdown(exchange.answer)
        elif exchange.next:
            lines += ["Study next:", ""]
            lines += [f"- {escape_markdown(p.roadmap)}: {escape_markdown(p.top or p.section)}" for p in exchange.next]
            lines.append("")
    return "\n".join(lines)


def _sources_markdown(answer: Answer) -> list[str]:
    """``[n] label — <url>`` for each cited source, in number order."""
    cited = sorted(cited_in_order(answer))
    if not cited:
        return []
    lines = ["Sources:", ""]
    for number in cited:
        source = answer.sources[number - 1]
        url = safe_url(page_link(source))
        link = f" — <{url}>" if url else ""
        lines.append(f"- {escape_markdown(f'[{number}] {source.label()}')}{link}")
    return [*lines, ""]
