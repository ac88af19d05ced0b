"""A paper's sentences as answers: which can state a fact, how well one answers a question, and what it
needs around it to be read alone.

The composer quotes a paper's best sentences; retrieval reranks a named paper's candidate chunks by their best
sentence (``rerank``), so that the chunk that states the answer is among the k the composer reads. One
question, one score: the question's words (rare within the paper weigh most; an acronym the paper defines
matches its long form), the similarity of the sentence's run to the question (the sentence runs are what the
passages index embeds), and, for a question that asks for a quantity, whether the sentence states one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from roadmap_rag.corpus.catalog import CARD_PREFIX, PAPER_PREFIX
from roadmap_rag.retrieve.library import DocumentView, Library, line_key
from roadmap_rag.retrieve.questions import Query, terms
from roadmap_rag.text.sentences import split_sentences
from roadmap_rag.text.units import Unit, readable, topic_text
from roadmap_rag.text.words import STOPWORDS
from roadmap_rag.types import Kind, Source, section_leaf

# How much a paper sentence's similarity to the question counts beside its word overlap. Prose paraphrases
# where a roadmap line names. Measured on the paper golden set, every sentence scored by its sentence run's
# similarity: fact recall 0.822 for weights 1.5 to 3.0, 0.767 for 4.0 and 6.0 (and 1.0 let one unsupported
# sentence through). Before every run of the picked chunks had its similarity (only the best k*4 did):
# 0.438 (0.8) -> 0.479 (2.0) -> 0.493 (4.0).
DENSE_WEIGHT = 2.0
# How much a chunk's best sentence counts beside its fused rank score when a named paper's candidates are
# reranked (see rerank).
RERANK_WEIGHT = 0.15
# Enumerated sentences ("Step 1: ...") an announcing sentence brings with it.
_ENUMERATED_KEPT = 5
# What a sentence that states a number adds, for a question that asks for a quantity.
QUANTITY_BONUS = 0.4
# A paper's sentences that answer nothing on their own: a question the text asks itself ("which weights should
# we adapt?"), a signpost to elsewhere ("In this section, we discuss ...", "described in Appendix C"), figure and
# table labels run together (no closing punctuation).
_SIGNPOST = re.compile(
    r"^(?:in this (?:section|subsection|appendix)|(?:see|as (?:shown|mentioned|described|discussed)) (?:in )?"
    r"(?:section|appendix|table|figure|fig\.|eq)|we (?:first |then |now )?(?:describe|discuss|present|summari[sz]e|"
    r"compare|detail|report) [^.]*\b(?:in|see) (?:section|appendix|table|figure)\b)|\b(?:described|discussed|"
    r"presented|shown|listed|detailed) (?:in (?:this|the next|the following) section|below|in (?:section|appendix)"
    r" [a-z0-9.]+)\.?$|^(?:table|figure|fig\.)\s*\d+\s+(?:shows|compares|lists|presents|summari[sz]es|reports|gives|"
    r"plots|illustrates|depicts)\b(?! that)|^(?:\S+\s+){0,10}\S+ in (?:this|the next|the following) section\.$",
    re.IGNORECASE,
)
# A sentence that maps the paper ("we formulate X in Section 3.1, derive Y in Section 3.2 ...") points elsewhere.
_SECTION_REFERENCE = re.compile(r"\b(?:sections?|sec\.|appendix)\s*\(?[a-z]?\d", re.IGNORECASE)
_CLOSED = re.compile(r"[.!?:;][\"'”’)\]]*$")
# A question that asks for a quantity ("how many", "how large", "at what size") is answered by a sentence that
# states one.
_QUANTITY_QUESTION = re.compile(
    r"\bhow (?:many|much|large|big|small|long|fast|often|far)\b|\bat what (?:size|scale|point|rate)\b|"
    r"\bwhat (?:size|value|percentage|fraction|number|rate|score|accuracy)\b",
    re.IGNORECASE,
)
_QUANTITY = re.compile(r"\d|\b(?:half|twice|double|triple|thousands?|millions?|billions?|dozens?|hundreds?)\b", re.I)
# Numbers that state no quantity: a citation's year ("Wei et al., 2022b"), a figure, table, section or equation.
_REFERENCES = re.compile(
    r"\b(?:19|20)\d\d[a-z]?\b|\b(?:fig(?:ure)?s?|tables?|sections?|sec|appendix|eqs?|equations?)\.?\s*\(?[a-z]?\d[\d.]*\)?",
    re.IGNORECASE,
)
# Sentences that lean on the one before ("We insert two adapters after each of these sub-layers.") or announce
# the ones after ("We then apply the following three steps."), and the enumerated sentences such an
# announcement introduces ("Step 1: ...", "Task #2: ...", "(ii) ...").
_LEANS_BACK = re.compile(
    r"^(?:this|these|those|that|it|they|such|both|here|thus|hence|therefore)\b(?! (?:paper|work|section|study)\b)|"
    r"\b(?:these|those|both)\s+(?!papers?\b|works?\b)[a-z-]+",
    re.IGNORECASE,
)
# A sentence whose subject is what the sentence before it said; "This roadmap ..." names its own subject.
_OPENS_BACK = re.compile(
    r"(?:this|these|those|it|they|such|both)\b(?!\s+(?:roadmap|guide|article|curriculum|post|blog|paper|course)s?\b)",
    re.IGNORECASE,
)
_ANNOUNCES = re.compile(r":$|\b(?:the following|as follows|below|in this section)\b", re.IGNORECASE)
_ENUMERATED = re.compile(
    r"^(?:(?:step|stage|phase|task|part|type)\s*#?\s*\d+\b|\(?(?:\d+|[ivx]+|[a-e])\)\s|(?:first|second|third|"
    r"fourth|finally|lastly),)",
    re.IGNORECASE,
)


def is_statement(unit: Unit) -> bool:
    """A unit of a paper's text that can state a fact: not the front matter before its first heading (title,
    authors, affiliations), not a question, a signpost or a run of figure labels."""
    text = unit.text
    if not unit.section or re.search(r"\?[\"'”’)\]]*$", text) or _SIGNPOST.search(text):
        return False
    if len(_SECTION_REFERENCE.findall(text)) >= 2:
        return False
    tokens = [t.strip(",.;:()").lower() for t in text.split()]
    function_words = sum(t in STOPWORDS for t in tokens)
    if (len(tokens) >= 6 and not function_words) or (len(tokens) >= 10 and function_words < 2):
        return False  # a figure's or table's labels in a row ("FLAN 137B GLaM LaMDA-PT GPT-3 175B zero-shot ...")
    return unit.kind != "sentence" or bool(_CLOSED.search(text))


def in_context(view: DocumentView, unit: Unit) -> list[Unit]:
    """A paper's sentence with what it needs to be read alone: the sentence before, when it leans on it ("...
    after each of these sub-layers"), and the enumerated sentences after, when it announces them ("the
    following three steps" -> "Step 1: ...", "Step 2: ..."), else the sentence after. A roadmap's sentence that
    opens on what the one before said ("This includes Mixture of Experts ...") comes after that sentence of its
    line. Other units: alone."""
    if view.kind == Kind.ROADMAP and unit.kind == "sentence":
        return [*_antecedent(view, unit), unit]
    if view.kind != Kind.PAPER or unit.kind != "sentence":
        return [unit]
    i = view.index_of(unit)
    out = [unit]
    if _LEANS_BACK.search(unit.text) and i > 0:
        before = view.units[i - 1]
        if before.kind == "sentence" and before.section == unit.section and is_statement(before):
            out.insert(0, before)
    if _ANNOUNCES.search(unit.text):
        after = [u for u in view.units[i + 1 : i + 16] if u.kind == "sentence" and u.section == unit.section]
        enumerated = [u for u in after if _ENUMERATED.match(u.text)]
        out += enumerated[:_ENUMERATED_KEPT] or after[:1]
    return out


def _antecedent(view: DocumentView, unit: Unit) -> list[Unit]:
    """The sentence before ``unit`` on its line, when ``unit`` opens on it ("This includes ...", "They ...")."""
    if not _OPENS_BACK.match(unit.text):
        return []
    i = view.index_of(unit)
    before = view.units[i - 1] if i > 0 else None
    return [before] if before is not None and on_one_line(view, before, unit) else []


def on_one_line(view: DocumentView, before: Unit, after: Unit) -> bool:
    """Whether two units are sentences of one line (a roadmap's paragraph) of one section, ``before`` first."""
    return (
        before.kind == after.kind == "sentence"
        and before.section == after.section
        and "\n" not in view.text[before.end : after.start]
    )


def similarities(lines: Sequence[tuple[str, str, float]]) -> dict[str, float]:
    """The retriever's passages (chunk id, text, similarity) by line key, each of a run's sentences too."""
    dense: dict[str, float] = {}
    for _, text, score in lines:
        dense.setdefault(line_key(text), score)
        for sentence in split_sentences(text):  # a paper's passage is a run of sentences: each has its score
            dense.setdefault(line_key(sentence), score)
    return dense


def question_for(question: str, library: Library, papers: Sequence[str], stop: set[str] | None = None) -> Query:
    """The question's words as the papers' text is read: the papers' names are not its topic ("LoRA" is in every
    sentence of the LoRA paper; "according to Scaling Laws for Neural Language Models"), nor is "paper", and a
    word is rare by how few of their sentences use it."""
    stop = set(stop or ())
    for doc_id in papers:
        stop |= set(terms(library.view(doc_id).title.split(" (")[0])) | set(terms("paper"))
        if full := _card_title(library, doc_id):  # the full title, where the question names the paper by it
            question = re.sub(re.escape(full), " ", question, flags=re.IGNORECASE)
    return Query.of(question, library, stop, tuple(papers))


def names_of(library: Library, doc_id: str) -> str:
    """A paper's names: its short title ("LoRA (Hu et al., 2021)") and its catalog card's full title."""
    return f"{library.view(doc_id).title} {_card_title(library, doc_id)}"


def _card_title(library: Library, doc_id: str) -> str:
    """The full title on the catalog card of the paper ``doc_id`` ("" where the library has no card)."""
    card = CARD_PREFIX + doc_id.removeprefix(PAPER_PREFIX)
    return library.view(card).title if card in library else ""


def context_of(unit: Unit) -> str:
    """What a unit sits under: its list's intro, its topic item, its section's title."""
    return f"{unit.intro} {unit.parent} {section_leaf(unit.section)}"


def score(query: Query, view: DocumentView, unit: Unit, dense: Mapping[str, float]) -> float | None:
    """How well a unit of a paper's text answers ``query``; None for one that cannot state a fact."""
    if not is_statement(unit):
        return None
    own = view.spelled_out(topic_text(unit) if unit.kind == "item" else unit.text)
    similarity = max(0.8 * dense.get(view.line_key(unit), 0.0), dense.get(line_key(unit.text), 0.0))
    quantity = _QUANTITY_QUESTION.search(query.text) and _QUANTITY.search(_REFERENCES.sub(" ", unit.text))
    return query.score(own, context_of(unit)) + DENSE_WEIGHT * similarity + QUANTITY_BONUS * bool(quantity)


def rerank(
    question: str, sources: Sequence[Source], library: Library, lines: Sequence[tuple[str, str, float]]
) -> list[Source]:
    """A named paper's candidate chunks (best first by fused rank) in the order of their fused score plus
    RERANK_WEIGHT times the score of their best sentence; each source's score is that sum."""
    papers = sorted({s.doc_id for s in sources if s.kind == Kind.PAPER and s.doc_id in library})
    if not papers:
        return list(sources)
    query, dense = question_for(question, library, papers), similarities(lines)
    best: dict[str, float] = {}
    for source in sources:
        if source.doc_id not in papers:
            continue
        view = library.view(source.doc_id)
        scores = [score(query, view, u, dense) for u in readable(view.units_between(source.start, source.end))]
        best[source.id] = max((x for x in scores if x is not None), default=0.0)
    blended = {s.id: s.score + RERANK_WEIGHT * best.get(s.id, 0.0) for s in sources}
    ranked = sorted(sources, key=lambda s: -blended[s.id])
    return [replace(s, score=round(blended[s.id], 6)) for s in ranked]
