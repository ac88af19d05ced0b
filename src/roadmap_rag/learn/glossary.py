"""The roadmaps' glossary: every term they define or expand, each definition quoted from its passage and cited.

Two kinds of line define a term, and nothing else is read as a definition:
- an acronym spelled out, either way round: "Reinforcement Learning from Human Feedback (RLHF)" or
  "LoRA (Low-Rank Adaptation)" (``text.words.acronyms``: the capitals are the long form's initials); the
  definition is the sentence or list item that spells it out;
- a "Term - explanation" list item (the quiz's definition line): the explanation is the definition, when the
  term is a name of up to five words (not a sentence: "Documentation is your friend - ...") and the
  explanation a description of four words or more ("Linear Algebra - MIT OpenCourseWare" is a resource).

A term found in several roadmaps is one entry with one definition per roadmap; a "Term - explanation" line whose
term is an acronym's long form ("Retrieval-augmented generation - ...") joins the acronym's entry.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from roadmap_rag.learn.curriculum import Curriculum
from roadmap_rag.learn.quiz import DEFINITION_LINE
from roadmap_rag.retrieve.library import DocumentView, to_source
from roadmap_rag.text.sentences import split_sentences
from roadmap_rag.text.units import Unit
from roadmap_rag.text.words import acronyms
from roadmap_rag.types import Source

# "LoRA (Low-Rank Adaptation)": an acronym, then its long form in parentheses.
_ACRONYM_FIRST = re.compile(r"(?<![\w-])([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*?)s?\s*\(([^()]{3,80})\)")
_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)$")  # "BERT (2018)" -> "BERT"
_NUMBERING = re.compile(r"^\s*\d{1,2}(?:\.\d{1,2})*[.)]?\s+")
_VERBS = frozenset(["is", "are", "was", "were", "be", "means"])
_KINDS = {"sentence": 0, "item": 0, "row": 1, "intro": 1, "heading": 2}


@dataclass(frozen=True)
class Quoted:
    """One roadmap's definition of a term: its words as the roadmap writes them, and the passage that holds them."""

    quote: str  # verbatim in source.text (whitespace aside)
    source: Source

    @property
    def roadmap(self) -> str:
        return self.source.title

    @property
    def section(self) -> str:
        return self.source.section


@dataclass(frozen=True)
class GlossaryEntry:
    term: str  # "RLHF", "LoRA", "Context window"
    expansion: str  # an acronym's long form ("Reinforcement Learning from Human Feedback"); "" for other terms
    definition: str  # the best definition, verbatim: sources[0].quote
    sources: tuple[Quoted, ...]  # one definition per roadmap that defines the term, the best first


@dataclass(frozen=True)
class _Found:
    key: str
    term: str
    expansion: str
    rank: int  # lower is a better definition
    order: tuple[int, int]  # (roadmap, offset): document order
    quoted: Quoted


def build_glossary(curriculum: Curriculum) -> list[GlossaryEntry]:
    """Every term the roadmaps define or expand, alphabetical (case aside), each with its roadmaps' definitions."""
    found: list[_Found] = []
    for position, doc_id in enumerate(sorted(curriculum.roadmaps())):
        view = curriculum.library.view(doc_id)
        for unit in view.units:
            found += _expansions(view, unit, position)
    long_forms = {_normal(f.expansion): f.key for f in found}
    for position, doc_id in enumerate(sorted(curriculum.roadmaps())):
        view = curriculum.library.view(doc_id)
        sections = {_normal(u.text) for u in view.units if u.kind == "heading"}
        found += [f for unit in view.units if (f := _explained(view, unit, position, long_forms, sections))]
    best: dict[tuple[str, str], _Found] = {}  # one definition per (term, roadmap)
    for f in found:
        at = (f.key, f.quoted.source.doc_id)
        if at not in best or (f.rank, f.order) < (best[at].rank, best[at].order):
            best[at] = f
    by_key: dict[str, list[_Found]] = {}
    for f in sorted(best.values(), key=lambda f: (f.rank, f.order)):
        by_key.setdefault(f.key, []).append(f)
    every: dict[str, list[_Found]] = {}  # each term's finds, every roadmap's, kept or not
    for f in found:
        every.setdefault(f.key, []).append(f)
    entries = [_entry(group, every[key]) for key, group in by_key.items()]
    return sorted(entries, key=lambda e: (e.term.casefold(), e.term))


def _entry(group: list[_Found], every: list[_Found]) -> GlossaryEntry:
    """One term: the best definition's term, the long form most roadmaps give, every roadmap's best definition."""
    spelled = Counter(f.expansion for f in every if f.expansion)
    expansion = min(spelled, key=lambda e: (-spelled[e], min(f.order for f in every if f.expansion == e)), default="")
    acronym = min((f for f in every if f.expansion), key=lambda f: (f.rank, f.order), default=None)
    term = acronym.term if acronym else group[0].term  # "RAG", not its long form's "Term - explanation" line
    quotes = tuple(f.quoted for f in group)
    return GlossaryEntry(term, expansion, quotes[0].quote, quotes)


def _expansions(view: DocumentView, unit: Unit, position: int) -> list[_Found]:
    """The acronyms ``unit`` spells out, each with the sentence that does it."""
    spelled = dict(acronyms(unit.text))
    for match in _ACRONYM_FIRST.finditer(unit.text):
        short, long = match.group(1), match.group(2).strip()
        if acronyms(f"{long} ({short})").get(short) == long:  # the same rule, the other way round
            spelled.setdefault(short, long)
    found = []
    for short, long in spelled.items():
        phrases = (f"{long} ({short}", f"{short} ({long}")
        sentence = next((s for s in split_sentences(unit.text) if any(p in s for p in phrases)), unit.text)
        quoted = _quoted(view, unit, sentence)
        if quoted is None:
            continue
        bare = _NUMBERING.sub("", sentence).lstrip()
        leads = bare.startswith(phrases)
        more = len(bare.rstrip(" .:;")) - len(long) - len(short) - 3 >= 20  # it says more than the two forms
        rank = 1 + (0 if more and leads else 1 if more else 2 if leads else 3) + 4 * _KINDS.get(unit.kind, 2)
        found.append(_Found(short.casefold(), short, long, rank, (position, unit.start), quoted))
    return found


def _explained(
    view: DocumentView, unit: Unit, position: int, long_forms: dict[str, str], sections: set[str]
) -> _Found | None:
    """A "Term - explanation" item that defines a term (not a table of contents' line, which names a section);
    its term joins an acronym it spells out."""
    match = DEFINITION_LINE.match(unit.text) if unit.kind == "item" and _normal(unit.text) not in sections else None
    if match is None:
        return None
    head, meaning = match.group("term").strip(), match.group("meaning").strip()
    spelled = acronyms(head)
    term = _TRAILING_NOTE.sub("", head).strip()
    words = term.split()
    if (
        not 1 <= len(words) <= 5
        or _VERBS.intersection(w.casefold() for w in words)
        or not meaning[0].isupper()
        or len(meaning.split()) < 4
    ):
        return None
    quoted = _quoted(view, unit, meaning)
    if quoted is None:
        return None
    if spelled:
        short, long = next(iter(spelled.items()))
        return _Found(short.casefold(), short, long, 0, (position, unit.start), quoted)
    key = long_forms.get(_normal(term), term.casefold())
    return _Found(key, term, "", 0, (position, unit.start), quoted)


def _quoted(view: DocumentView, unit: Unit, text: str) -> Quoted | None:
    """``text`` cited to the passage that holds ``unit``, if that passage holds it verbatim (whitespace aside)."""
    source = to_source(view.chunk_at(unit.start), 1.0)
    quote = " ".join(text.split())
    return Quoted(quote, source) if quote and quote in " ".join(source.text.split()) else None


def _normal(text: str) -> str:
    """Case, hyphens and spacing aside: "Retrieval-augmented generation" is "retrieval augmented generation"."""
    return " ".join(text.casefold().replace("-", " ").split())


def search(entries: Sequence[GlossaryEntry], query: str) -> list[GlossaryEntry]:
    """The entries ``query`` names (case and hyphens aside): the exact term, then an exact long form, then a term
    that starts with it, a long form that starts with it, and last a term or long form that contains it."""
    wanted = _normal(query)
    if not wanted:
        return list(entries)
    ranked = []
    for entry in entries:
        term, long = _normal(entry.term), _normal(entry.expansion)
        checks = (
            term == wanted,
            bool(long) and long == wanted,
            term.startswith(wanted),
            bool(long) and long.startswith(wanted),
            wanted in term or wanted in long,
        )
        rank = next((i for i, hit in enumerate(checks) if hit), None)
        if rank is not None:
            ranked.append((rank, entry))
    return [entry for _, entry in sorted(ranked, key=lambda pair: pair[0])]


def nearest(entries: Sequence[GlossaryEntry], query: str, n: int = 5) -> list[str]:
    """The terms closest in spelling to ``query`` (by the term or its long form), for a term the glossary lacks."""
    names: dict[str, str] = {}
    for entry in entries:
        names.setdefault(_normal(entry.term), entry.term)
        if entry.expansion:
            names.setdefault(_normal(entry.expansion), entry.term)
    close = difflib.get_close_matches(_normal(query), list(names), n=n * 2, cutoff=0.5)
    return list(dict.fromkeys(names[name] for name in close))[:n]
