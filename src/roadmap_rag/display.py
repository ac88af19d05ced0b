"""What the CLI and the app show: document and model text made safe for Markdown, and index summaries.

Streamlit's Markdown would otherwise turn corpus text into links, images (a network request), LaTeX or
colour directives; HTML is never enabled. Every character with a Markdown meaning is backslash-escaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

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


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are shown; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    return url.strip() if parsed.scheme in ("http", "https") and parsed.netloc else None


def _statement(statement: Statement) -> str:
    """A claim: corpus text escaped, its links as Markdown links (http/https only), its [n] markers ours."""
    text = escape_markdown(statement.text)
    links = [(label, safe_url(url)) for label, url in statement.links]
    for label, url in links:
        if url and label and escape_markdown(label) in text:
            text = text.replace(escape_markdown(label), f"[{escape_markdown(label)}]({url})", 1)
    markers = "".join(f" \\[{n}\\]" for n in statement.citations)
    return f"{text}{markers}"


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


def place_line(place: Place) -> str:
    """'The curriculum: 6. Fine-Tuning & Adaptation (section 7 of 19; after 5. Infrastructure & Scaling;
    before 7. Prompt Engineering & In-Context Learning)', plain text."""
    facts = [f"section {place.position} of {place.sections}"] if place.position else []
    facts += [place.stage] if place.stage else []
    facts += [f"after {place.before}"] if place.before else []
    facts += [f"before {place.after}"] if place.after else []
    where = place.section or place.top or "its introduction"
    return f"{place.roadmap[:1].upper()}{place.roadmap[1:]}: {where}" + (f" ({'; '.join(facts)})" if facts else "")
