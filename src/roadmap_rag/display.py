"""What the CLI and the app show: document and model text made safe for Markdown, and index summaries.

Streamlit's Markdown would otherwise turn corpus text into links, images (a network request), LaTeX or
colour directives; HTML is never enabled. Every character with a Markdown meaning is backslash-escaped, and a
document's URL becomes a link only when it is http(s), with every character that could end the link or start
markup percent-encoded (OWASP LLM05: a URL holding "![p](...)" must not become a tracking pixel).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlparse

from roadmap_rag.index_state import count_by_kind
from roadmap_rag.types import Answer, Kind, Place, Source, Statement

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def escape_markdown(text: str) -> str:
    """Show ``text`` literally in st.markdown (and in expander labels)."""
    return _SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def highlight(text: str, quote: str) -> str:
    """``text`` escaped, with the first occurrence of ``quote`` marked (the cited span)."""
    at = text.find(quote) if quote else -1
    if at < 0:
        return escape_markdown(text)
    before, marked, after = text[:at], text[at : at + len(quote)], text[at + len(quote) :]
    return f"{escape_markdown(before)}:orange-background[{escape_markdown(marked)}]{escape_markdown(after)}"


def source_label(number: int, source: Source) -> str:
    """``[3] Title — Section > Sub, p. 4`` (escaped)."""
    return escape_markdown(f"[{number}] {source.label()}")


# What a URL may keep as it is inside a Markdown link: RFC 3986's unreserved and delimiter characters less
# those with a Markdown meaning ( ( ) [ ] ! ' * and $ ); "%" so that an encoded URL is not encoded twice.
_URL_SAFE = "-._~:/?#@&+,;=%"
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def safe_url(url: str | None) -> str | None:
    """A document's URL as a link target, or None: http(s) with a host only (no javascript:, data:, file:),
    no whitespace or control character inside, and every other character percent-encoded, so that it can
    neither close the link nor open an image or HTML in the Markdown around it."""
    url = (url or "").strip()
    if not url or _CONTROL.search(url):
        return None
    try:
        parsed = urlparse(url)
    except ValueError:  # an unbalanced IPv6 bracket
        return None
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        return None
    return quote(url, safe=_URL_SAFE)


def _free(text: str, label: str, taken: list[tuple[int, int, str]]) -> int:
    """Where ``label`` first occurs in ``text`` outside the spans already linked, or -1."""
    at = text.find(label)
    while at >= 0 and any(start < at + len(label) and at < end for start, end, _ in taken):
        at = text.find(label, at + 1)
    return at


def linked_markdown(text: str, links: tuple[tuple[str, str], ...]) -> str:
    """``text`` escaped, the first free occurrence of each link's label made a Markdown link to its URL when
    that URL is safe (``safe_url``). Each piece is escaped on its own, so a label is never found inside an
    escape sequence or inside another link's URL."""
    spans: list[tuple[int, int, str]] = []
    for label, url in links:
        target = safe_url(url)
        at = _free(text, label, spans) if label and target else -1
        if target and at >= 0:
            spans.append((at, at + len(label), target))
    out, done = [], 0
    for start, end, target in sorted(spans):
        out += [escape_markdown(text[done:start]), f"[{escape_markdown(text[start:end])}]({target})"]
        done = end
    return "".join([*out, escape_markdown(text[done:])])


def _statement(statement: Statement) -> str:
    """A claim: corpus text escaped, its links as Markdown links (http/https only), its [n] markers ours."""
    markers = "".join(f" \\[{n}\\]" for n in statement.citations)
    return f"{linked_markdown(statement.text, statement.links)}{markers}"


def answer_markdown(answer: Answer) -> str:
    """The answer's own structure as Markdown (headings bold, lists as bullets); every piece of corpus
    text inside it escaped, so a document can never inject markup."""
    if not answer.blocks:
        return escape_markdown(answer.text)
    parts = [
        f"_{escape_markdown(block.title)}_"
        if block.kind == "note"
        else block.render(_statement, lambda title: f"**{escape_markdown(title)}**")
        for block in answer.blocks
    ]
    return "\n\n".join(p for p in parts if p)


KIND_LABELS: dict[str, str] = {Kind.ROADMAP: "roadmap", Kind.PAPER_CARD: "paper card", Kind.PAPER: "paper"}


def kind_summary(documents: Mapping[str, Mapping[str, Any]]) -> str:
    """'5 roadmaps (107 chunks), 50 paper cards (51 chunks), 1 paper (12 chunks)' from the ingest record."""
    docs, chunks = count_by_kind(documents, None), count_by_kind(documents, "chunks")
    pages = count_by_kind({k: v for k, v in documents.items() if "pages" in v}, "pages")
    order = [k for k in KIND_LABELS if k in docs] + sorted(k for k in docs if k not in KIND_LABELS)
    parts = []
    for kind in order:
        singular = KIND_LABELS.get(kind, f"{kind} document")
        counted = f"{chunks[kind]} chunks" + (f", {pages[kind]} pages" if pages.get(kind) else "")
        parts.append(f"{docs[kind]} {singular}{'' if docs[kind] == 1 else 's'} ({counted})")
    return ", ".join(parts) or "nothing indexed yet"


def page_link(source: Source) -> str | None:
    """A paper source's PDF opened at its page: 'https://arxiv.org/pdf/2106.09685#page=4'; else its URL."""
    if source.kind == Kind.PAPER and source.page and source.url:
        m = re.match(r"https?://arxiv\.org/(?:abs|pdf)/([\w.]+?)(?:v\d+)?(?:\.pdf)?$", source.url)
        if m:
            return f"https://arxiv.org/pdf/{m.group(1)}#page={source.page}"
    return source.url


def dot_label(text: str, width: int = 24, lines: int = 3) -> str:
    """``text`` as one quoted Graphviz string (wrapped to ``lines`` lines of ``width``): a section name from a
    document can end its label neither with a quote nor with a trailing backslash, nor add attributes (URL=)."""
    flat = _CONTROL.sub(" ", text)
    wrapped = textwrap.wrap(flat, width)[:lines]
    return '"' + "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in wrapped) + '"'


def place_line(place: Place) -> str:
    """'The curriculum: 6. Fine-Tuning & Adaptation (section 7 of 19; after 5. Infrastructure & Scaling;
    before 7. Prompt Engineering & In-Context Learning)', plain text."""
    facts = [f"section {place.position} of {place.sections}"] if place.position else []
    facts += [place.stage] if place.stage else []
    facts += [f"after {place.before}"] if place.before else []
    facts += [f"before {place.after}"] if place.after else []
    where = place.section or place.top or "its introduction"
    return f"{place.roadmap[:1].upper()}{place.roadmap[1:]}: {where}" + (f" ({'; '.join(facts)})" if facts else "")
