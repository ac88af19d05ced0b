"""Flashcards: the key facts of the roadmaps' passages, each with its answer quoted from the passage it cites.

A card has a front (a question), a back (the answer), its keys (the parts of the answer, each verbatim in its
passage, whitespace aside) and the passage. Cards come from the units the glossary and the quizzes read; nothing
is written by a model:
- ``expansion``: an acronym the roadmaps spell out ("What does RLHF stand for?");
- ``term``: a term a roadmap defines, in its words ("What does the 14-day roadmap say about “RoPE”?");
- ``list``: a list of four to twelve short items ("... Name three."), the whole list on the back;
- ``paper``: the catalog: which paper introduced a method ("Which paper introduced adapter modules?"), or, where
  the paper's name gives that away, what it introduced ("What did LoRA (Hu et al., 2021) introduce?").
A card's id is a hash of its kind, passage's document and front: the same card across re-ingests, while the
roadmap's words stay the same, so its review schedule stays with it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from roadmap_rag.learn.curriculum import Curriculum
from roadmap_rag.learn.glossary import GlossaryEntry
from roadmap_rag.learn.quiz import QuizItem, introduced, list_items, names_topic, paper_items, topic_words
from roadmap_rag.retrieve.questions import terms
from roadmap_rag.types import Source, section_leaf, unnumbered

KINDS = ("expansion", "term", "list", "paper")
_NUMBERING = re.compile(r"^\s*\d{1,2}(?:\.\d{1,2})*[.)]?\s+")


@dataclass(frozen=True)
class Card:
    id: str
    front: str
    back: str  # the answer as the learner reads it
    keys: tuple[str, ...]  # the answer's parts, each verbatim in source.text (whitespace aside)
    source: Source  # the passage that holds the keys
    kind: str  # one of KINDS
    subject: str  # what the card is about: the term, the list's heading, the paper

    @property
    def where(self) -> str:
        """The roadmap and section, or the paper's card, that the back comes from."""
        return self.source.label()


def card_id(kind: str, doc_id: str, front: str) -> str:
    return hashlib.sha1(f"{kind}|{doc_id}|{front}".encode()).hexdigest()[:16]


def in_passage(text: str, source: Source) -> bool:
    """Whether ``text`` is in the passage word for word (whitespace aside)."""
    return bool(text.strip()) and " ".join(text.split()) in " ".join(source.text.split())


def build_cards(curriculum: Curriculum, glossary: Sequence[GlossaryEntry]) -> list[Card]:
    """Every card the corpus gives, in a learner's order: each roadmap's in document order (roadmaps by id),
    then the papers'. A card with a key not in its passage is left out, so every key can be checked there."""
    cards = [*_glossary_cards(curriculum, glossary), *_quiz_cards(list_items(curriculum, None), "list")]
    order = {doc_id: i for i, doc_id in enumerate(sorted(curriculum.roadmaps()))}
    cards.sort(key=lambda c: (order.get(c.source.doc_id, len(order)), c.source.start, KINDS.index(c.kind)))
    cards += _paper_cards(curriculum)
    unique = {c.id: c for c in reversed(cards)}  # the first of two cards with the same front and passage
    return [c for c in cards if unique.get(c.id) is c and all(in_passage(k, c.source) for k in c.keys)]


def cards_on(cards: Sequence[Card], topic: str) -> list[Card]:
    """The cards whose front, back or subject names ``topic`` (every word of it, singular or plural); every card
    for a blank topic."""
    wanted = topic_words(topic) if topic.strip() else None
    return [c for c in cards if names_topic(f"{c.subject} {c.front} {c.back}", wanted)]


def _glossary_cards(curriculum: Curriculum, glossary: Sequence[GlossaryEntry]) -> list[Card]:
    cards = []
    for entry in glossary:
        quoted = next((q for q in entry.sources if in_passage(entry.expansion or entry.definition, q.source)), None)
        if quoted is None:
            continue
        source = quoted.source
        if entry.expansion:
            front = f"What does {entry.term} stand for?"
            kept = (entry.expansion,)
            cards.append(
                Card(
                    card_id("expansion", source.doc_id, front),
                    front,
                    entry.expansion,
                    kept,
                    source,
                    "expansion",
                    entry.term,
                )
            )
        # An acronym's sentence is a definition when it starts with the acronym or its long form and says more
        # ("RoPE (Rotary Positional Embedding), a relative positional embedding method ..."); a sentence that
        # only names it among others ("This includes ... (RLHF), Constitutional AI ...") is not.
        leads = _NUMBERING.sub("", quoted.quote).startswith((entry.term, entry.expansion or entry.term))
        says_more = leads and len(quoted.quote) - len(entry.expansion) - len(entry.term) >= 40
        if not entry.expansion or says_more:
            leaf = section_leaf(source.section)
            under = f" (under “{unnumbered(leaf)}”)" if leaf else ""
            front = f"What does {curriculum.library.view(source.doc_id).short_title} say about “{entry.term}”{under}?"
            kept = (quoted.quote,)
            cards.append(
                Card(card_id("term", source.doc_id, front), front, quoted.quote, kept, source, "term", entry.term)
            )
    return cards


def _quiz_cards(items: Sequence[QuizItem], kind: str) -> list[Card]:
    """A list's card keeps every item's name; a paper's, its title (the quiz's answer adds the authors)."""
    cards = []
    for item in items:
        keys = tuple(group[0] for group in item.accepted)
        front, source = item.question, item.citation
        cards.append(Card(card_id(kind, source.doc_id, front), front, item.answer, keys, source, kind, _subject(item)))
    return cards


def _paper_cards(curriculum: Curriculum) -> list[Card]:
    cards = []
    for item in paper_items(curriculum, None):
        view = curriculum.library.view(item.citation.doc_id)
        name, whole = introduced(view) or ("", "")
        short = view.title.split(" (")[0]
        if set(terms(short)) <= set(terms(name)) and whole != name:  # "Which paper introduced LoRA?": LoRA's
            front = f"What did {view.title} introduce?"
            keys: tuple[str, ...] = (whole,)
            back = whole
        else:
            front, keys, back = item.question, (item.accepted[0][0],), item.answer
        cards.append(Card(card_id("paper", view.doc_id, front), front, back, keys, item.citation, "paper", short))
    return cards


def _subject(item: QuizItem) -> str:
    return item.citation.section.rsplit(" > ", 1)[-1] if item.citation.section else item.citation.title
