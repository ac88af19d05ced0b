"""Check what an answer cites: drop markers that point nowhere, quote the supporting span,
attach citations where the model gave none, and list sentences no source supports."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from roadmap_rag.answer import claim_parts
from roadmap_rag.answer.claim_parts import NUMBER, QUOTED, is_caveat
from roadmap_rag.answer.claims import ClaimChecker
from roadmap_rag.answer.evidence import Verdict
from roadmap_rag.text.injection import looks_like_instruction as looks_like_instruction
from roadmap_rag.text.sentences import URL as URL
from roadmap_rag.text.sentences import sentence_spans, split_sentences
from roadmap_rag.text.units import parse
from roadmap_rag.text.words import STOPWORDS, WORD, fold
from roadmap_rag.types import Block, Citation, Removed, Source, Statement, render_blocks, without_bare_headings

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# looks_like_instruction (injection.py's classifier) finds the sentences that address the assistant rather than
# inform the learner: data to ignore, never part of an answer. Re-exported here: the composer skips them too.


def content_words(text: str) -> set[str]:
    return {w[:6] for w in WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1}


def overlap(a: str, b: str) -> float:
    """Share of a's content words found in b (crude stemming by prefix)."""
    wa = content_words(a)
    return len(wa & content_words(b)) / len(wa) if wa else 0.0


def best_span(sentence: str, source: Source) -> tuple[str, float]:
    """The unit (sentence, item, row) of ``source`` that best supports ``sentence``, quoted verbatim."""
    spans = [u for u in parse(source.text) if u.kind != "heading" and len(u.text) > 3]
    if not spans:
        return source.text.strip()[:200], 0.0
    score, unit = max(((overlap(sentence, u.text), u) for u in spans), key=lambda p: p[0])
    return source.text[unit.start : unit.end].strip(), score


def supporting_span(sentence: str, source: Source, limit: int = 700) -> str:
    """The verbatim span of ``source`` behind ``sentence``: its best unit, or, when the sentence gathers
    several units (a section and its items), the stretch of the source from the first to the last."""
    units = [u for u in parse(source.text) if u.kind != "heading" and len(u.text) > 3]
    inside = [u for u in units if overlap(u.text, sentence) >= 0.6]
    if len(inside) >= 2:
        start, end = min(u.start for u in inside), max(u.end for u in inside)
        if end - start <= limit:
            return source.text[start:end].strip()
    return best_span(sentence, source)[0]


# Specifics a claim may only make when its source (or the question) makes them too.
_NAME = re.compile(
    r"\b(?:[A-Z][a-z]*[A-Z0-9][\w-]*|[A-Z]{2,}[\w-]*|[A-Za-z]+-\d[\w.-]*)\b|(?<=[a-z,;] )[A-Z][a-z]{2,}\b"
)


def specifics(sentence: str) -> list[str]:
    """Numbers, URLs, quoted titles and proper names in ``sentence``."""
    urls = URL.findall(sentence)
    rest = URL.sub(" ", sentence)
    found = [*urls, *QUOTED.findall(rest), *NUMBER.findall(rest), *_NAME.findall(rest)]
    return [f.strip().rstrip(".,;:") for f in found if f.strip()]


def missing_specifics(sentence: str, evidence: str) -> list[str]:
    """The specifics of ``sentence`` that ``evidence`` does not contain (case- and quote-style-insensitive)."""
    folded = fold(evidence)
    return [f for f in specifics(sentence) if fold(f) not in folded]


def supports(sentence: str, sources: list[Source], question: str = "", min_support: float = 0.5) -> bool:
    """A claim is supported when every specific in it is in its sources (or the question) and at least
    ``min_support`` of its content words are in its sources."""
    evidence = "\n".join(s.text for s in sources)
    if missing_specifics(sentence, f"{evidence}\n{question}"):
        return False
    # The question may supply a name ("LoRA"), never the support: "Yes, they can look up information on
    # the web [1]" echoes the question, and its source says the opposite.
    words = content_words(sentence)
    return not words or overlap(sentence, evidence) >= min_support


@dataclass
class Checked:
    text: str
    citations: list[Citation]
    unsupported: list[str]
    blocks: list[Block] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)  # each statement removed, with why


_MOVED = 0.8  # the share of its words another source must hold for a cited statement to move there
_Kept = Statement | Block | None  # a statement kept (maybe re-cited), a caveat of ours (a note), or nothing


def verify(
    blocks: list[Block],
    sources: list[Source],
    question: str = "",
    min_support: float = 0.5,
    names: Mapping[str, str] | None = None,
    generated: bool = False,
    checker: ClaimChecker | None = None,
) -> Checked:
    """Keep each statement only where a source supports it (claims.ClaimChecker): the sources it cites; a
    statement that cites nothing, or only sources it was not given, moves to the one source that supports it by
    the same rules, if any.

    A statement no source supports is removed, with its reason, into ``removed``; a list whose lead goes keeps
    its items; a caveat ("The sources don't say how long this takes.") stays as a note of ours unless a source
    holds what it says is missing; a heading stays when the sources of what is under it support it; an
    instruction echoed from a document is never an answer.

    ``generated``: a model's answer, whose headings are checked too. The composer's headings are the library's
    own section paths, and its statements quote their sources, so each must also pass on the source's text alone
    (its title and section path are no evidence for a quote). ``names`` maps each roadmap's names (lower case)
    to its document id, so "the 14-day roadmap says ..." must cite the 14-day roadmap. ``checker``: one already
    made for these sources (a streamed answer is checked again as it grows)."""
    checker = checker or ClaimChecker(sources, question, names, min_support)
    citations: dict[tuple[int, str], Citation] = {}
    removed: list[Removed] = []

    def drop(text: str, reason: str) -> None:
        removed.append(Removed(text, reason))

    def check_one(statement: Statement, within: Sequence[int] = (), item: bool = False) -> _Kept:
        """``within``: a list's lead, checked against the sources of its items unless it cites its own."""
        text = statement.text.strip()
        if looks_like_instruction(text):
            drop(text, "it reads as an instruction, not as a fact from the sources")
            return None
        cited = [n for n in dict.fromkeys(statement.citations) if 1 <= n <= len(sources)]
        verdict = checker.check(text, cited or within, lead=bool(within), item=item)
        if not statement.citations and is_caveat(text):
            holds = checker.caveat_holds(text)
            if not holds:
                drop(text, holds.reason)
                return None
            return Block("note", title=text)
        kept = list(cited or within) if verdict else []
        if kept and not generated and not supports(text, [sources[n - 1] for n in kept], question, min_support):
            verdict, kept = Verdict(False, f"{_cited(kept)} does not hold it in its own text"), []
        if not kept and not checker.claim_words(text) and not claim_parts.specifics(text):
            return Statement(text, (), statement.links)  # a fragment ("Answer:") claims nothing
        # A statement that cites no source it was shown is given the one that supports it. One whose own source
        # does not support it moves only to a source that holds nearly all of it (a mis-numbered citation), never
        # on a few shared words; a lead is about its list and never moves.
        if not kept and not within:
            tried, bar = set(cited), _MOVED if cited else 0.0
            kept = next(
                (
                    [n]
                    for n in checker.best_for(text)
                    if n not in tried
                    and checker.holds(text, n) >= bar
                    and checker.check(text, [n], bool(within), item)
                    and (generated or supports(text, [sources[n - 1]], question, min_support))
                ),
                [],
            )
        if not kept:
            drop(text, verdict.reason if statement.citations or within else f"no source supports it ({verdict.reason})")
            return None
        if within and not cited:
            return Statement(text, (), statement.links)  # a list's lead, supported by its items' sources
        for n in kept:
            for sentence in split_sentences(text) or [text]:
                quote = supporting_span(sentence, sources[n - 1])
                citations.setdefault((n, quote), Citation(number=n, source=sources[n - 1], quote=quote))
        return Statement(text, tuple(kept), statement.links)

    out: list[Block] = []
    for block in blocks:
        if block.kind in ("heading", "note"):
            out.append(block)
            continue
        statements: list[Statement] = []
        for kept in (check_one(st, item=block.kind == "list") for st in block.statements):
            if isinstance(kept, Block):  # a caveat: a note of ours, between the statements it interrupts
                if statements:
                    out.append(Block(block.kind, tuple(statements), block.title, None))
                    statements = []
                out.append(kept)
            elif kept is not None:
                statements.append(kept)
        numbers = sorted({n for s in statements for n in s.citations})
        lead = check_one(block.lead, numbers) if block.lead and statements else None
        if isinstance(lead, Block):
            out.append(lead)
        if statements:
            out.append(Block(block.kind, tuple(statements), block.title, lead if isinstance(lead, Statement) else None))
    if generated:
        out = _checked_headings(out, checker, drop)
    # A heading with nothing under it says nothing.
    out = without_bare_headings(out)
    ordered = sorted(citations.values(), key=lambda c: (c.number, c.quote))
    unsupported = [r.text for r in removed]
    return Checked(render_blocks(out), ordered, unsupported, out, removed)


def _cited(numbers: Sequence[int]) -> str:
    marks = "".join(f"[{n}]" for n in numbers)
    return f"source {marks}" if len(numbers) == 1 else f"sources {marks}"


def _checked_headings(blocks: list[Block], checker: ClaimChecker, drop: Callable[[str, str], None]) -> list[Block]:
    """Each heading kept where the sources cited under it (up to the next heading) support it."""
    out = []
    for i, block in enumerate(blocks):
        if block.kind == "heading" and looks_like_instruction(block.title):
            drop(block.title, "it reads as an instruction, not as a fact from the sources")
            continue
        if block.kind == "heading" and block.title:
            under: list[int] = []
            for later in blocks[i + 1 :]:
                if later.kind == "heading":
                    break
                statements = ((later.lead,) if later.lead else ()) + later.statements
                under += [n for s in statements for n in s.citations]
            if under and checker.claim_words(block.title):
                verdict = checker.check(block.title, sorted(set(under)))
                if not verdict:
                    drop(block.title, verdict.reason)
                    continue
        out.append(block)
    return out


_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+")
_HEADING_LINE = re.compile(r"^\s*(?:#{1,6}\s+|\*\*)(.+?)(?:\*\*)?\s*:?\s*$")


def _statement(text: str) -> Statement:
    numbers = [int(n) for m in _MARKER.finditer(text) for n in re.split(r"\s*,\s*", m.group(1))]
    plain = _MARKER.sub("", text)
    plain = re.sub(r"\s+([.!?,;:])", r"\1", plain).strip()
    plain = re.sub(r"\*\*|__|`", "", plain)
    return Statement(plain, tuple(dict.fromkeys(numbers)))


def parse_answer(text: str) -> list[Block]:
    """A generated answer (markdown-ish text with [n] markers) as blocks: bullets become list items,
    '**Title**' and '### Title' lines headings, everything else sentences."""
    blocks: list[Block] = []
    items: list[Statement] = []
    lead: Statement | None = None
    sentences: list[Statement] = []

    def flush_list() -> None:
        nonlocal items, lead
        if items:
            blocks.append(Block("list", tuple(items), lead=lead))
        elif lead:
            sentences.append(lead)
        items, lead = [], None

    def flush_paragraph() -> None:
        nonlocal sentences
        if sentences:
            blocks.append(Block("paragraph", tuple(sentences)))
        sentences = []

    for line in text.split("\n"):
        if not line.strip():
            continue
        if _LIST_ITEM.match(line):
            if not items and sentences and sentences[-1].text.endswith(":"):
                lead = sentences.pop()
            flush_paragraph()
            items.append(_statement(_LIST_ITEM.sub("", line)))
            continue
        flush_list()
        heading = _HEADING_LINE.match(line)
        if (
            heading
            and not _MARKER.search(line)
            and len(heading.group(1)) <= 80
            and line.strip().startswith(("#", "**"))
        ):
            flush_paragraph()
            blocks.append(Block("heading", title=heading.group(1).strip().rstrip(":")))
            continue
        sentences += [_statement(line[a:b]) for a, b in sentence_spans(line)]
    flush_list()
    flush_paragraph()
    return blocks


def check(
    answer: str,
    sources: list[Source],
    question: str = "",
    min_support: float = 0.5,
    names: Mapping[str, str] | None = None,
    checker: ClaimChecker | None = None,
) -> Checked:
    """Validate and complete the citations of a generated ``answer`` against ``sources``."""
    return verify(parse_answer(answer), sources, question, min_support, names, generated=True, checker=checker)


class StreamCheck:
    """A model's answer checked as it streams, so that a learner only ever sees checked statements.

    ``feed`` takes the model's text deltas and returns the checked text that is new since the last call: each
    complete line, and each complete sentence of the line being written, is checked once it is complete (a list's
    lead once its first item has come, a heading once what is under it has). What is shown only grows: text that
    would change what was already shown (rare: a lead that an item further down supports) waits for ``finish``."""

    def __init__(self, sources: list[Source], question: str = "", names: Mapping[str, str] | None = None) -> None:
        self.sources, self.question = sources, question
        self.checker = ClaimChecker(sources, question, names)
        self.text = ""
        self.shown = ""
        self._checked_upto = 0

    def feed(self, delta: str) -> str:
        self.text += delta
        ready = complete_prefix(self.text)
        if len(ready) <= self._checked_upto:
            return ""
        self._checked_upto = len(ready)
        return self._grow(check(ready, self.sources, self.question, checker=self.checker))

    def finish(self, truncated: bool = False) -> tuple[Checked, str]:
        """The whole answer checked, and the text not yet shown. A ``truncated`` answer ends at its last
        complete sentence: the unfinished one is dropped."""
        text = complete_prefix(self.text) if truncated else self.text
        checked = check(text.strip(), self.sources, self.question, checker=self.checker)
        return checked, self._grow(checked)

    def _grow(self, checked: Checked) -> str:
        if not checked.text.startswith(self.shown):
            return ""
        new, self.shown = checked.text[len(self.shown) :], checked.text
        return new


def complete_prefix(text: str) -> str:
    """``text`` up to its last complete statement: every finished line, then the finished sentences of the line
    being written (a list item or a heading is finished by its line break)."""
    head, _, line = text.rpartition("\n")
    if not line.strip() or _LIST_ITEM.match(line) or _HEADING_LINE.match(line):
        done = head
    else:
        spans = sentence_spans(line)
        done = head if len(spans) < 2 else (f"{head}\n{line[: spans[-2][1]]}" if head else line[: spans[-2][1]])
    # A line that ends with ':' may lead a list: it is complete once a line after it is.
    before, _, last = done.rpartition("\n")
    return before if last.rstrip().endswith(":") else done
