"""One model of the corpus's text units: sentences, list items, table rows and headings.

The chunk passages, the composer (the answer without an LLM) and the citation checker all read text
through this module, so a sentence is split the same way everywhere:

- sentences never break inside numbers (3.6%, 0.2), abbreviations (e.g., et al.), URLs or
  parenthesised citations like "(Vaswani et al., 2017)";
- list items keep the line that introduces them ("... key principles:") and their heading; a
  "Resource: X" item is attached to the topic item above it;
- table rows are read as records ("Instruction Tuning: Best Video: ...; Best Blog / Article: FLAN Paper");
- markdown links are read as their text, the URL kept as the unit's link; emphasis markers are dropped.

Every unit keeps its character span in the text it was parsed from, so a citation can quote the
source verbatim while the answer shows the clean text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from roadmap_rag.text.sentences import URL, sentence_spans

# Between the headings of a section path: "Phase 2 > Fine-tuning > LoRA".
SECTION_SEPARATOR = " > "

UnitKind = Literal["heading", "sentence", "item", "row", "intro"]

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*([^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
_EMPHASIS = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`)")
_REFERENCE = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")
_BULLET = re.compile(r"^(\s*)(?:[-*+•]|\d{1,2}[.)])\s+(?=\S)")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HR = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_RESOURCE = re.compile(r"^(?:resources?|recommended(?: \w+){0,2}|resource \w+)\s*:\s*", re.IGNORECASE)
_SYMBOLS = re.compile(r"^[\W_]*?(?=[\w\"'“‘(])", re.UNICODE)
_CAPTION = re.compile(r"^(?:image by\b|my notes on\b|figure \d+\b)|\((?:source)\)\s*$", re.IGNORECASE)
# A line that refers back to what came before is prose, not the next item of a list.
_BACK_REFERENCE = re.compile(r"^(?:this|these|that|those|it|they|however|so|finally|if)\b", re.IGNORECASE)
_INDEX_HEADERS = frozenset({"s.no", "no", "#", "no.", "sr", "sr.no", "sl", "id"})


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Unit:
    """A piece of text a learner can read on its own, with where it came from."""

    kind: UnitKind
    text: str  # clean text: no markup, links read as their text
    start: int  # span in the parsed text (raw, so text[start:end] is a verbatim quote)
    end: int
    section: str = ""  # heading path
    intro: str = ""  # items: the clean line that introduces their list
    parent: str = ""  # items: the topic item above ("Linear Algebra" for "Resource: MIT OCW")
    links: tuple[Link, ...] = ()
    group: int = -1  # items of one list (and its intro) share a group
    level: int = 0  # headings: depth; items: indentation depth
    details: tuple[str, ...] = field(default=(), compare=False)  # topic items: "Resource:" lines, sub-items

    @property
    def is_link_only(self) -> bool:
        return bool(self.links) and self.text == self.links[0].text


def clean_inline(text: str) -> tuple[str, tuple[Link, ...]]:
    """Markdown links to their text (URL kept as a link), images dropped, emphasis markers removed."""
    links: list[Link] = []

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1).strip(), match.group(2).strip()
        if match.group(0).startswith("!"):
            return ""  # an image (a badge) is not text
        label = _EMPHASIS.sub("", label).strip()
        if url.startswith(("http://", "https://")):
            links.append(Link(label or url, url))
        return label

    out = _MD_LINK.sub(link, text)
    out = _EMPHASIS.sub("", out)
    out = _REFERENCE.sub("", out)  # "[42]" in a document is its own reference, never one of our citations
    out = _SYMBOLS.sub("", out.strip())  # leading emoji, arrows, bullets' leftovers
    out = re.sub(r"\s+", " ", out).strip()
    return out, tuple(links)


@dataclass
class _Line:
    start: int
    end: int
    raw: str

    @property
    def stripped(self) -> str:
        return self.raw.strip()


def _table_cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _item_like(text: str) -> bool:
    """A plain line that can be a list item under an introducing line (no bullet)."""
    if not text or len(text) > 320 or text.endswith(":") or _BACK_REFERENCE.match(text):
        return False
    return len(sentence_spans(text)) <= 3


class _Parser:
    def __init__(self, text: str, base: int, headings: dict[int, tuple[int, str]], section: str) -> None:
        self.text = text
        self.base = base
        self.headings = headings
        self.path: list[tuple[int, str]] = [(0, p) for p in section.split(SECTION_SEPARATOR) if p] if section else []
        self.units: list[Unit] = []
        self.group = 0
        self.intro = ""
        self.in_list = False
        self.blank_run = 0
        self.header: list[str] = []
        self.topic: Unit | None = None  # the last topic item, owner of "Resource:" lines
        self.topic_was_resource = False
        self.item_indent = 0

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(t for _, t in self.path)

    def add(self, kind: UnitKind, text: str, start: int, end: int, links: tuple[Link, ...] = (), **kw: object) -> Unit:
        unit = Unit(kind, text, self.base + start, self.base + end, self.section, links=links, **kw)  # type: ignore[arg-type]
        self.units.append(unit)
        return unit

    def end_list(self) -> None:
        self.in_list = False
        self.intro = ""
        self.topic = None

    def heading(self, line: _Line, index: int) -> None:
        level, title = self.headings[index]
        self.end_list()
        self.path = [(lv, t) for lv, t in self.path if lv < level]
        clean, _ = clean_inline(title)
        self.path.append((level, clean))
        self.add("heading", clean, line.start, line.end, level=level)

    def table_row(self, line: _Line, before_rule: bool) -> None:
        cells = _table_cells(line.raw)
        if not self.header:
            self.group += 1
            if before_rule:  # the header row: the line above a |---| rule
                self.header = [clean_inline(c)[0] for c in cells]
                return
            self.header = [""] * len(cells)  # rows whose header is elsewhere (a chunk that starts mid-table)
        pairs: list[tuple[str, str]] = []
        links: list[Link] = []
        for head, cell in zip(self.header, cells, strict=False):
            value, cell_links = clean_inline(cell)
            links += cell_links
            if value and head.lower().strip(" .") not in _INDEX_HEADERS and not re.fullmatch(r"\d+", value):
                pairs.append((head, value))
        if not pairs:
            return
        if not any(head for head, _ in pairs):  # no header known: the cells in order
            self.add("row", "; ".join(v for _, v in pairs), line.start, line.end, tuple(links), group=self.group)
            return
        lead = ""
        if not pairs[0][0].lower().startswith("best"):  # the first column names the row
            lead = pairs.pop(0)[1]
        body = "; ".join(f"{h}: {v}" for h, v in pairs)
        text = f"{lead}: {body}" if lead and body else lead or body
        self.add("row", text, line.start, line.end, tuple(links), group=self.group)

    def item(self, line: _Line, text: str, links: tuple[Link, ...], indent: int) -> None:
        if not self.in_list:
            self.group += 1
            self.in_list = True
            self.item_indent = indent
        resource = _RESOURCE.match(text)
        topic_is_resource = self.topic is not None and self.topic_was_resource
        if self.topic is not None and ((resource and not topic_is_resource) or indent > self.item_indent):
            # A detail of the topic above: its "Resource: X" lines and indented sub-items.
            body = text[resource.end() :].strip() if resource else text
            if body:
                self.topic = _with_detail(self.topic, body, self.units)
                self.add(
                    "item",
                    body,
                    line.start,
                    line.end,
                    links,
                    intro=self.intro,
                    parent=self.topic.text,
                    group=self.group,
                    level=1,
                )
            return
        self.topic_was_resource = bool(resource)
        if resource:  # a "Resource:" line with no topic above it is a plain item, and so are the ones after it
            text = text[resource.end() :].strip() or text
        self.topic = self.add("item", text, line.start, line.end, links, intro=self.intro, group=self.group)

    def prose(self, line: _Line, text_start: int) -> None:
        raw = line.raw
        spans = sentence_spans(raw)
        for i, (a, b) in enumerate(spans):
            clean, links = clean_inline(raw[a:b])
            if not clean or sum(ch.isalnum() for ch in clean) < 2:
                continue
            if i == len(spans) - 1 and clean.endswith(":"):
                self.end_list()
                self.group += 1
                self.intro = clean
                self.in_list = True
                self.item_indent = 0
                self.add("intro", clean, line.start + a, line.start + b, links, group=self.group)
                return
            self.add("sentence", clean, line.start + a, line.start + b, links)

    def _join_broken(self, lines: list[_Line]) -> None:
        """A long prose line that stops mid-sentence ("... I started my ml-retreat" / "GitHub repository.")
        continues on the next line: read them as one (spans unchanged, the newline read as a space)."""
        for i in range(len(lines) - 1):
            line, nxt = lines[i], lines[i + 1]
            s, n = line.stripped, nxt.stripped
            if len(s) < 60 or s[-1] in ".!?:;)" or not n or i in self.headings or i + 1 in self.headings:
                continue
            if _BULLET.match(line.raw) or _BULLET.match(nxt.raw) or s.startswith(("|", "#", ">")) or n.startswith("|"):
                continue
            if " - " in s or ":" in s or ". " not in n or (i and lines[i - 1].stripped.endswith(":")):
                continue  # "Label - text" lines are items; a continuation finishes its sentence on the next line
            nxt.raw = line.raw + " " + nxt.raw
            nxt.start = line.start
            line.raw = ""

    def run(self) -> list[Unit]:
        lines: list[_Line] = []
        pos = 0
        for raw in self.text.split("\n"):
            lines.append(_Line(pos, pos + len(raw), raw))
            pos += len(raw) + 1
        self._join_broken(lines)
        for index, line in enumerate(lines):
            if not line.stripped:
                self.blank_run += 1
                continue
            after_blank, self.blank_run = self.blank_run > 0, 0
            if not self._structure(line, index, lines):
                self._text(line, after_blank)
        return _label_runs(self.units, self)

    def _structure(self, line: _Line, index: int, lines: list[_Line]) -> bool:
        """A heading, a rule or a table row: read it and say so."""
        s = line.stripped
        if index in self.headings or (not self.headings and _MD_HEADING.match(s)):
            if index not in self.headings:
                self.headings[index] = (len(s) - len(s.lstrip("#")), s.lstrip("#").strip())
            self.header = []
            self.heading(line, index)
            return True
        if _HR.match(s):
            self.end_list()
            return True
        if s.startswith("|"):
            if not _TABLE_RULE.match(s):
                self.end_list()
                following = next((ln.stripped for ln in lines[index + 1 :] if ln.stripped), "")
                self.table_row(line, "|" in following and bool(_TABLE_RULE.match(following)))  # "---" is a rule too
            return True
        return False

    def _text(self, line: _Line, after_blank: bool) -> None:
        """A line of text: a unit's link, a list item (bulleted, indented or under an intro), or prose."""
        self.header = []
        body = line.stripped.lstrip(">").strip()
        if URL.fullmatch(body) and self.units:
            # A bare URL under a title ("**Hugging Face LLM Course**\n https://...") is that unit's link.
            last = self.units[-1]
            self.units[-1] = _replace(last, links=(*last.links, Link(last.text, body)))
            return
        bullet = _BULLET.match(line.raw)
        if bullet:
            text, links = clean_inline(line.raw[bullet.end() :])
            if text and not _CAPTION.search(text):
                self.item(line, text, links, len(bullet.group(1)))
            return
        text, links = clean_inline(body)
        if not text or _CAPTION.search(text):
            return
        indent = len(line.raw) - len(line.raw.lstrip())
        if self.in_list and self.topic is not None and indent > self.item_indent and not after_blank:
            self.item(line, text, links, indent)  # "  *Skills:* PEFT" under "- **LLM Fine-Tuning**"
            return
        listed = self.in_list and self.intro and _item_like(text) and not _RESOURCE.match(text)
        if listed and (after_blank or not self.units or self.units[-1].kind in ("intro", "item")):
            self.item(line, text, links, 0)
            return
        self.end_list()
        self.prose(line, 0)


_LABEL = re.compile(r"^[A-Z][\w &/()'+-]{1,40}:\s+\S")


def _label_runs(units: list[Unit], parser: _Parser) -> list[Unit]:
    """Three or more consecutive lines shaped "Label: text" form a list even without an introducing
    line ("Linear Algebra: Vectors and matrices" / "Calculus: ..." in prose)."""
    out = list(units)
    i = 0
    while i < len(out):
        j = i
        while (
            j < len(out)
            and out[j].kind == "sentence"
            and _LABEL.match(out[j].text)
            and (j == i or out[j].section == out[i].section)
        ):
            j += 1
        if j - i >= 3:
            parser.group += 1
            intro = ""
            title = out[i - 1] if i else None
            if title is not None and title.kind == "sentence" and is_bare_title(title.text):
                # "Popular LLM Frameworks" above "LangChain: ..." lines introduces them
                intro = title.text
                out[i - 1] = _replace(title, kind="intro", group=parser.group)
            for n in range(i, j):
                out[n] = _replace(out[n], kind="item", group=parser.group, intro=intro)
        i = max(j, i + 1)
    return out


def is_bare_title(text: str) -> bool:
    """'Popular LLM Frameworks': short, no closing punctuation, words capitalised - a heading, not a claim."""
    words = text.split()
    if not words or len(words) > 8 or text[-1:] in ".!?" or ":" in text:
        return False
    return sum(w[:1].isupper() or not w[:1].isalpha() for w in words) >= max(1, len(words) - 1)


def _replace(unit: Unit, **changes: object) -> Unit:
    from dataclasses import replace

    return replace(unit, **changes)  # type: ignore[arg-type]


def _with_detail(topic: Unit, detail: str, units: list[Unit]) -> Unit:
    """Record ``detail`` on ``topic`` (kept in ``units``) and return the updated topic."""
    updated = _replace(topic, details=(*topic.details, detail))
    for i in range(len(units) - 1, -1, -1):
        if units[i] is topic:
            units[i] = updated
            break
    return updated


def parse(
    text: str, *, base: int = 0, headings: dict[int, tuple[int, str]] | None = None, section: str = ""
) -> list[Unit]:
    """The units of ``text`` in reading order.

    ``headings`` (line index -> (level, title)), when the caller knows them (the chunker's heading
    detection over a whole document), mark heading lines; without them markdown ``#`` lines are headings.
    ``base`` is added to every span; ``section`` is the heading path the text starts under.
    """
    return _Parser(text, base, dict(headings or {}), section).run()


def topic_text(unit: Unit) -> str:
    """An item as a learner reads it: "Linear Algebra: Linear Algebra - MIT OpenCourseWare; 3Blue1Brown ..."."""
    if unit.details:
        joiner = " — " if ":" in unit.details[0] else ": "
        return f"{unit.text}{joiner}{'; '.join(unit.details)}"
    return unit.text


def readable(units: Iterable[Unit]) -> list[Unit]:
    """Units that can stand in an answer: no headings, no fragments."""
    return [u for u in units if u.kind != "heading" and sum(ch.isalnum() for ch in u.text) >= 3]
