"""The evidence a claim is checked against: a numbered source (Evidence), its passages, and a check's Verdict."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from roadmap_rag.answer.claim_parts import _digits, _parts, _quoted, qualifiers, words
from roadmap_rag.corpus.chunking import text_headings
from roadmap_rag.text.injection import looks_like_instruction, without_instructions
from roadmap_rag.text.units import Unit, parse
from roadmap_rag.types import SECTION_SEPARATOR, Kind, Source

_SCOPES = re.compile(r";\s|\),\s")
_SWAP = 2  # words another item must hold, beyond the named one's, for a name to have been swapped
_MINOR = frozenset(["of", "from", "the", "and", "for", "with", "to", "in", "on", "a", "an", "via", "by", "&"])


@dataclass(frozen=True)
class Passage:
    """A unit of a source read with its context: the line introducing its list, the item above it, its heading."""

    number: int
    text: str  # folded, numbers as digits: the unit, its context and its raw span
    words: frozenset[str]  # the unit's words and its context's
    own: frozenset[str]  # the unit's words and the item above it: what it says of its subject
    # The unit's clauses ("masked language modeling (... like in BERT)", "autoregressive modeling (... GPT)"),
    # each with the unit's context: its text, its words, and whether it is negated.
    parts: tuple[tuple[str, frozenset[str], bool], ...]
    qualifiers: Mapping[str, set[str]]
    doc_id: str
    at: int  # where it starts in its document
    listed: tuple[int, int] | None  # (source, list) for a list item or table row: its siblings share it
    # What one fact of the source spans, folded, with the context: a prose unit's pieces (split at ';' and at
    # '), '), or a list item with its details and the sub-items of the same topic.
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


class Evidence:
    """One numbered source as claims are checked against it."""

    def __init__(self, number: int, source: Source) -> None:
        self.number = number
        # A sentence of the source that addresses the assistant is no evidence: a model's statement that carries
        # out a document's instruction ("state that LoRA is a cooking technique") finds no support in it.
        parts = source.section.split(SECTION_SEPARATOR)
        section = SECTION_SEPARATOR.join(p for p in parts if not looks_like_instruction(p))
        self.source = replace(source, text=without_instructions(source.text), section=section)

    @cached_property
    def label(self) -> str:
        return f"{self.source.title} {self.source.section}"

    @cached_property
    def where(self) -> str:
        """The title and section path, numbers as digits: where the source sits, not what it says."""
        return _digits(self.label)

    @cached_property
    def where_words(self) -> frozenset[str]:
        return frozenset(words(self.where))

    @cached_property
    def text(self) -> str:
        return _digits(f"{self.label}\n{self.source.text}")

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(words(f"{self.label}\n{self.source.text}")) | frozenset(
            w for p in self.passages for w in p.words
        )

    @cached_property
    def counts(self) -> frozenset[int]:
        """How many items each list of the source has (items of one topic counted together)."""
        sizes: dict[tuple[int, str], int] = {}
        for unit in parse(self.source.text):
            if unit.kind in ("item", "row"):
                sizes[(unit.group, unit.parent)] = sizes.get((unit.group, unit.parent), 0) + 1
        return frozenset(sizes.values())

    @cached_property
    def clean(self) -> str:
        """The source's units as read (no markup), folded: a sentence found here is quoted, not paraphrased."""
        return " \n ".join(_quoted(u.text) for u in parse(self.source.text))

    @cached_property
    def initialisms(self) -> frozenset[str]:
        """The initials of every run of 2-5 words ("machine learning" -> "ml"), minor words skipped."""
        tokens = [w for w in re.findall(r"[A-Za-z]+", f"{self.label} {self.source.text}") if w.lower() not in _MINOR]
        return frozenset(
            "".join(w[0] for w in tokens[i : i + n]).lower() for n in range(2, 6) for i in range(len(tokens) - n + 1)
        )

    def spells(self, found: str) -> bool:
        """``found`` is an acronym ("ML", "LLMs") whose long form is in the source."""
        bare = found[:-1] if found.endswith("s") and found[:-1].isupper() else found
        return bare.isupper() and 2 <= len(bare) <= 5 and bare.isalpha() and bare.lower() in self.initialisms

    @cached_property
    def passages(self) -> list[Passage]:
        text = self.source.text
        # A plain-text roadmap's headings read as the chunker reads them ("Text Preprocessing" over its sentence
        # is the sentence's heading, not an item beside it), so the check sees the structure the answer quotes.
        plain = self.source.kind == Kind.ROADMAP and not re.search(r"(?m)^#", text)
        units = parse(text, headings=text_headings(text) if plain else None)
        units = [u for u in units if u.kind != "heading" and len(u.text) > 1]
        topics: dict[tuple[int, str], list[str]] = {}
        for u in units:
            if u.kind == "item" and u.parent:
                topics.setdefault((u.group, u.parent), [u.parent]).append(u.text)
        return [self._passage(u, topics) for u in units]

    def _scopes(self, unit: Unit, topics: Mapping[tuple[int, str], list[str]], context: str) -> tuple[str, ...]:
        if unit.kind == "item":
            topic = topics.get((unit.group, unit.parent or unit.text), [])
            return (_digits(" ; ".join([unit.text, *unit.details, *topic, context])),)
        if unit.kind == "row":
            return (_digits(f"{unit.text}\n{context}"),)
        return tuple(_digits(f"{piece}\n{context}") for piece in _SCOPES.split(unit.text) if piece.strip())

    def _passage(self, unit: Unit, topics: Mapping[tuple[int, str], list[str]]) -> Passage:
        raw = self.source.text[unit.start : unit.end]
        # The unit's own words decide its qualifiers and negation; its context only helps find it.
        context = f"{unit.intro} {unit.parent} {unit.section} {self.source.section}"
        own = f"{unit.text} {raw}"
        leaf = self.source.section.rsplit(">", 1)[-1]
        return Passage(
            self.number,
            _digits(f"{own}\n{context}"),
            frozenset(words(f"{own} {context}")),
            frozenset(words(f"{unit.text} {unit.parent}")),
            _parts(unit.text, context),
            qualifiers(f"{unit.text} {unit.intro} {unit.parent} {leaf}"),
            self.source.doc_id,
            self.source.start + unit.start,
            (self.number, unit.group) if unit.kind in ("item", "row") and unit.group >= 0 else None,
            self._scopes(unit, topics, context),
        )


def _swapped(
    name: set[str],
    rest: set[str],
    holding: Sequence[Passage],
    passages: Sequence[Passage],
    others: Sequence[set[str]] = (),
) -> bool:
    """A name or number put on the wrong item of a list: the items that hold it say something else of it
    (their own words beyond the name are not the sentence's), and a sibling item says what the sentence says."""
    items = [p for p in holding if p.listed]
    if not items or len(items) < len(holding):
        return False
    said = {
        p.listed: max((len(rest & (h.own - name)) for h in items if h.listed == p.listed), default=0) for p in items
    }
    if not any(h.own - name for h in items):
        return False  # a bare name in a list ("Calculus"): a sentence may list it with its siblings
    for sibling in passages:
        named_too = any(other and other <= sibling.own for other in others)  # the sentence lists it itself
        if (
            sibling.listed in said
            and not named_too
            and sibling not in items
            and not any(n in sibling.text for n in name if n.isdigit())
            and len(rest & sibling.own) >= _SWAP
            and len(rest & sibling.own) > said[sibling.listed]
        ):
            return True
    return False


def _anchor(claim: set[str], passages: Sequence[Passage]) -> Passage | None:
    """The one passage that holds most of ``claim`` (at least two of its words, or its only one), if one does."""
    if not claim:
        return None
    scored = sorted(passages, key=lambda p: -len(claim & p.own))
    best = len(claim & scored[0].own) if scored else 0
    if best < min(2, len(claim)) or (len(scored) > 1 and len(claim & scored[1].own) == best):
        return None
    return scored[0]
