"""The grounding check: whether the retrieved sources cover a question, and the refusal when they do not."""

from __future__ import annotations

import re

from roadmap_rag.answer.citations import overlap
from roadmap_rag.retrieve.hybrid import HybridRetriever
from roadmap_rag.retrieve.questions import (
    CHAT_STEMS,
    completed,
    is_everyday,
    spelt,
    terms,
    topic_support,
    topic_terms,
)
from roadmap_rag.retrieve.scope import Retrieved
from roadmap_rag.settings import Settings
from roadmap_rag.types import Kind, Source, section_leaf

# Off-corpus check: a clear passage match, or a weaker one backed by the question's own words.
_WEAK_PASSAGE = 0.25
_LEXICAL_SUPPORT = 0.5
# Who wrote a roadmap, as learners name them beside its name ("the 14 day guy", "what order did he go in").
_ITS_AUTHOR = re.compile(r"\b(?:(?:guy|author|writer|person|dude|blogger|creator)s?|he|she|him|his|her)\b", re.I)


def grounded(question: str, retrieved: Retrieved, retriever: HybridRetriever, settings: Settings) -> bool:
    """Whether ``retrieved`` covers ``question``: else the answer is a refusal."""
    if not retrieved.sources:
        return False
    if retrieved.best_passage >= settings.passage_floor:
        return True
    if any(s.doc_id in retrieved.cards_named for s in retrieved.sources):
        return True  # a paper the question names by a name the catalog knows: its card covers it
    # The question's own words in one of the best sources ("which paper introduced LoRA?" in its card),
    # or more than half of its topic words, once a named document and the generic words are set aside.
    named, rest = retriever.named_documents(question)
    if named and any(s.doc_id in named for s in retrieved.sources):
        if _about_itself(rest, retriever):
            return True  # about the named roadmap itself: "how long does the getting-started guide take?"
        if _its_terms(rest, named, retriever):
            return True  # "how far into the curriculum before i actually get to lora": a term the curriculum uses
    supporting = _supporting(retrieved.sources)
    support = max(overlap(question, f"{s.title} {s.section} {s.text}") for s in supporting)
    topic = topic_support(rest, supporting)
    return retrieved.best_passage >= _WEAK_PASSAGE and (support >= _LEXICAL_SUPPORT or topic > _LEXICAL_SUPPORT)


def _about_itself(rest: str, retriever: HybridRetriever) -> bool:
    """A question that names a roadmap and, that name set aside, only everyday words the corpus uses ("how
    long does ... take", "after i finish ... what next"): it asks about the roadmap itself. "what does the
    curriculum say about baking bread" names a subject the corpus never uses."""
    vocabulary = retriever.library().vocabulary(terms)
    rest = _ITS_AUTHOR.sub(" ", rest)  # the roadmap's author is the roadmap
    rest = " ".join(spelt(rest, vocabulary.keys()))  # "the projcts module": the projects module
    topic = set(topic_terms(rest)) - CHAT_STEMS  # "actually", "pls": no subject
    words = [w for w in re.findall(r"[a-z]{3,}", rest.lower()) if topic & set(terms(w))]
    known = {t for t in topic if t in vocabulary or completed(t, vocabulary)}  # "his repo": repository
    return topic <= known and all(is_everyday(w) for w in words)


def _its_terms(rest: str, named: tuple[str, ...], retriever: HybridRetriever) -> bool:
    """The question's terms of art (its words rare in English at large, typos read as the word meant), at least
    one, all in the named roadmaps' text: it asks about something they hold ("... before i actually get to lora"),
    not about what they never mention ("baking bread" is everyday English, "jailbreak" is not in the curriculum)."""
    library = retriever.library()
    vocabulary = library.vocabulary(terms)
    rare = {t for w in spelt(rest, vocabulary.keys()) if not is_everyday(w) for t in topic_terms(w)} - CHAT_STEMS
    return bool(rare) and rare <= library.vocabulary(terms, named).keys()


def _supporting(sources: list[Source], top: int = 3) -> list[Source]:
    return [s for n, s in enumerate(sources) if n < top or s.kind == Kind.PAPER_CARD]


def refusal(sources: list[Source]) -> str:
    topics = list(dict.fromkeys(section_leaf(s.section) or s.title for s in sources))[:3]
    nearest = f" The nearest topics it does cover: {'; '.join(topics)}." if topics else ""
    return f"The roadmap corpus does not cover this question, so I will not guess.{nearest}"
