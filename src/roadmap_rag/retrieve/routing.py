"""Which part of the corpus a question is for: the roadmaps, a paper's text, or both.

The roadmaps and the papers answer different questions. "What should I study before transformers?" is
for the roadmaps, and 2,000 chunks of paper text would crowd them out; "How are LoRA's matrices
initialized?" is for the LoRA paper, which the roadmaps only name. So:

- a question that names an indexed paper goes to that paper: its text takes the k places (the paper cards
  ride along), searched lexical lanes first (see retrieval.PAPER_WEIGHTS);
- a question that names a paper but asks about the roadmaps ("what does the roadmap say about LoRA?",
  "where do the roadmaps recommend BERT?") stays on the roadmaps, unless it also asks about the paper
  ("what does the BERT paper say about X, and where do the roadmaps recommend it?"): both, then, the
  paper's text taking ``PAPER_QUOTA`` of the places and the roadmaps the rest;
- a question that uses a paper's name that is also a plain term ("how close do adapters get to full
  fine-tuning?", "does chain-of-thought prompting help small models?") gets both, the paper's text taking
  ``PAPER_QUOTA`` places from its body (an appendix's examples and caveats would let "what do scaling laws in
  biology say?" through): the paper and the roadmaps share the term. As a definition ("what are scaling
  laws?") or next to a roadmap word ("what should I study before transformers?") it stays on the roadmaps;
- any other question stays on the roadmaps and the cards: paper text never answers a question that
  does not name its paper. That also keeps a paper's appendix of example prompts from answering
  general-knowledge questions.

A paper is named by its title, or by a coined name ("LoRA", "BERT", "RoPE", "LLM.int8()"). A name that
is also a plain term ("Transformer", "Scaling Laws", "Chain-of-Thought", "Adapters") names the paper
alone only next to the word "paper" or its authors ("the Transformer paper", "Vaswani et al.").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from roadmap_rag.corpus.catalog import Paper
from roadmap_rag.text.words import STOPWORDS, words

_QUESTION_WORDS = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "does",
        "do",
        "did",
        "is",
        "are",
        "was",
        "were",
        "stand",
        "mean",
    ]
)


def topic_words(text: str) -> list[str]:
    """The words of ``text`` that say what it is about: no stopwords, no question words."""
    return [w for w in words(text) if w not in STOPWORDS and w not in _QUESTION_WORDS and len(w) > 1]


PAPER_QUOTA = 3  # of the k places, at most this many go to the named paper's text
_PAPER_CUE = re.compile(r"\b(?:paper|papers|authors?|arxiv|et al\.?|article|publication|original)\b", re.IGNORECASE)
# Questions about a paper as a whole: who wrote it, where to read it. The catalog's cards answer those.
_CATALOG_CUE = re.compile(
    r"\b(?:which|what) (?:papers?|article)\b|\bwhere can I (?:read|find)\b|\bwho (?:wrote|introduced)\b|"
    r"\b(?:link|url)\b|\bwhen was\b",
    re.IGNORECASE,
)
_ROADMAP_CUE = re.compile(
    r"\b(?:roadmaps?|curricul(?:um|a)|guides?|syllabus|learning path|recommend(?:s|ed)?|study|studying|"
    r"resources?|courses?|timeline|prerequisites?|should I (?:learn|read))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Route:
    papers: tuple[str, ...] = ()  # documents of the papers the question is for, searched first
    query: str = ""  # the question without the word "paper": what to search the papers' text for
    roadmaps: bool = False  # it asks about the roadmaps too ("... and where do the roadmaps recommend it?")
    plain: bool = False  # the paper was named by a plain term: its body answers, never its appendices

    def quota(self, k: int) -> int:
        """The places the papers' text takes: all of them, or PAPER_QUOTA when the roadmaps are asked too."""
        return min(k, PAPER_QUOTA) if self.roadmaps else k


@dataclass(frozen=True)
class PaperName:
    pattern: re.Pattern[str]
    doc_id: str
    coined: bool  # "LoRA" names the paper on its own; "Transformer" needs "paper" beside it


def _coined(name: str) -> bool:
    """'LoRA', 'BERT', 'RoPE', 'Word2Vec', 'LLM.int8()': a word with a capital or digit after its first letter
    (not 'Scaling Laws' or 'Chain-of-Thought', which are also plain terms)."""
    words = re.split(r"[\s-]+", name)
    return len(words) <= 2 and any(c.isupper() or c.isdigit() for w in words for c in w[1:])


def paper_names(papers: Iterable[Paper], indexed: set[str]) -> list[PaperName]:
    """Patterns for the names of the papers whose text is in the index (``indexed``: document ids)."""
    out: list[PaperName] = []
    for paper in papers:
        if paper.doc_id not in indexed:
            continue
        for name in dict.fromkeys((paper.title, paper.short, *paper.names)):
            words = r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", name.strip()) if w)
            coined = _coined(name) or name == paper.title
            flags = 0 if coined and len(name) <= 5 else re.IGNORECASE  # "RoPE", never "rope"
            pattern = re.compile(rf"(?<![\w-]){words}(?:'s|’s)?(?![\w-])", flags)
            out.append(PaperName(pattern, paper.doc_id, coined))
        surname = paper.authors[0].split()[-1] if paper.authors else ""
        if surname and (paper.et_al or len(paper.authors) > 2):
            out.append(PaperName(re.compile(rf"\b{re.escape(surname)} et al\b", re.IGNORECASE), paper.doc_id, True))
    return out


def route(question: str, names: Sequence[PaperName]) -> Route:
    """The papers ``question`` is for (none: the roadmaps'); see the module's notes."""
    paper_cue = bool(_PAPER_CUE.search(question))
    found = [n for n in names if n.pattern.search(question) and (n.coined or paper_cue)]
    plain = [] if found else [n for n in names if n.pattern.search(question)]
    found = found or plain  # "how close do adapters get to full fine-tuning?": the paper and the roadmaps share it
    if not found:
        return Route()
    if _CATALOG_CUE.search(question):
        return Route()  # "which paper introduced LoRA?": the paper cards' answer
    rest = question
    for name in found:
        rest = name.pattern.sub(" ", rest)
    roadmaps = bool(_ROADMAP_CUE.search(rest))  # a paper's title may hold a cue word ("Transfer Learning")
    if roadmaps and not paper_cue:
        return Route()  # "what does the roadmap say about LoRA?": the roadmaps' answer
    if not paper_cue and len(topic_words(rest)) < 2:
        return Route()  # "what is RoPE?", "what does BERT stand for?": a definition, the roadmaps explain it
    # The name stays in the query (it may be the topic: "chain of thought", "adapter modules"); "paper" goes.
    query = re.sub(r"\s+", " ", _PAPER_CUE.sub(" ", question)).strip(" ,") or question
    papers = tuple(dict.fromkeys(n.doc_id for n in found))
    return Route(papers=papers, query=query, roadmaps=roadmaps or bool(plain), plain=bool(plain))


_LOOSE_CUE = re.compile(r"\b(?:paper|papers|article|authors?|wrote|written|by|et al|arxiv|publication)\b", re.I)


@dataclass(frozen=True)
class CardName:
    """How a learner may name a paper whose card is indexed: loosely ("the lora paper", "bert paper", "the
    scaling laws one", "vaswani's attention paper", "Hinton's distillation paper")."""

    pattern: re.Pattern[str]
    card_id: str
    needs_cue: bool  # named only beside "paper", "by", "wrote" ... (a plain term, or a coined name in lower case)
    topic: frozenset[str] = frozenset()  # an author's name alone: the words of the paper's title and contribution
    coined: bool = False  # "LoRA", "BERT": typed with its capitals, it names the paper on its own


def card_names(papers: Iterable[Paper], indexed: set[str]) -> list[CardName]:
    """Patterns for the papers whose cards (``indexed``: card document ids) are in the index."""
    out: list[CardName] = []
    for paper in papers:
        if paper.card_id not in indexed:
            continue
        for name in dict.fromkeys((paper.title, paper.short, *paper.names)):
            parts = [
                re.escape(w) for w in re.split(r"[\s-]+", name.strip().rstrip("s") if len(name) > 5 else name) if w
            ]
            if not parts:
                continue
            loose = r"[\s-]?".join(parts)
            pattern = re.compile(rf"(?<![\w-]){loose}s?(?:'s|’s)?(?![\w-])", re.IGNORECASE)
            # A plain term ("Transformer", "Scaling Laws") names the paper only beside "paper", "by", ...; a
            # coined name ("LoRA") on its own, when typed with its capitals; the full title always.
            out.append(CardName(pattern, paper.card_id, name != paper.title, coined=_coined(name)))
        topic = frozenset(topic_words(f"{paper.title} {paper.short} {paper.introduces}"))
        for author in paper.authors[:3]:
            surname = author.split()[-1]
            if len(surname) > 2:
                who = rf"\b{re.escape(surname)}(?:'s|’s| et al\b)|\bby {re.escape(surname)}\b"
                out.append(CardName(re.compile(who, re.IGNORECASE), paper.card_id, False, topic))
    return out


def asks_roadmaps(question: str) -> bool:
    """The question asks what the roadmaps say or recommend ("what do the roadmaps say about the lora paper")."""
    return bool(_ROADMAP_CUE.search(question))


def names_a_paper(question: str) -> bool:
    """The question speaks of a paper as a paper ("the lora paper", "who wrote ...", "by Kaplan")."""
    return bool(_LOOSE_CUE.search(question)) or bool(re.search(r"\b\w+(?:'s|’s) \w+ (?:paper|one)\b", question, re.I))


def named_cards(question: str, names: Sequence[CardName]) -> list[str]:
    """The cards of the papers ``question`` names, best match first (an author's name needs a word of the
    paper's title or contribution beside it when the author wrote several)."""
    cue = bool(_LOOSE_CUE.search(question))
    words = set(topic_words(question))
    found: dict[str, float] = {}
    for name in names:
        match = name.pattern.search(question)
        capitals = name.coined and any(c.isupper() or c.isdigit() for c in match.group(0)[1:]) if match else False
        if not match or (name.needs_cue and not cue and not capitals):
            continue
        score = len(match.group(0)) + (5 * len(words & name.topic) if name.topic else 10)
        found[name.card_id] = max(found.get(name.card_id, 0.0), score)
    return sorted(found, key=lambda c: -found[c])
