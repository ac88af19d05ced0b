"""Deterministic metrics: retrieval against reference quotes, refusals, and citation validity."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from roadmap_rag.answer.citations import overlap
from roadmap_rag.evaluation.dataset import EvalItem
from roadmap_rag.text.prose import is_chatter
from roadmap_rag.text.words import contains
from roadmap_rag.text.words import fact_recall as fact_recall
from roadmap_rag.types import Answer, Source

_MARKER = re.compile(r"\[(\d+)\]")
# A sentence carrying one or more markers; a dot between digits ("28.4") does not end it.
_CITED_SENTENCE = re.compile(r"(?:[^.!?\n]|(?<=\d)\.(?=\d))*?(?:\[\d+\](?:[^\[.!?\n]|(?<=\d)\.(?=\d))*)+[.!?]?")


@dataclass(frozen=True)
class RetrievalScores:
    rank: int | None  # 1-based rank of the first relevant source, None if none in the list
    hit: float
    recall: float
    mrr: float
    ndcg: float


def relevant(source: Source, item: EvalItem) -> bool:
    """The source holds one of the item's reference quotes; for a question on a paper's text (one with a
    page), from that paper: a short quote such as "175B" found in another paper answers nothing."""
    if item.page is not None and source.doc_id not in item.doc_ids:
        return False
    if any(contains(source.text, quote) for quote in item.contexts):
        return True
    # A paper states a fact more than once (abstract, introduction, results): a passage of the paper that
    # states every key fact holds it too, when the facts are specific enough to tell ("137B", not "10").
    specific = all(any(len(alt) >= 4 for alt in group) for group in item.facts)
    return (
        item.page is not None
        and bool(item.facts)
        and specific
        and fact_recall(source.text, item.facts)[0] == len(item.facts)
    )


def on_page(item: EvalItem, sources: Sequence[Source], k: int) -> bool | None:
    """A relevant source within the top ``k`` cites a page that holds the fact (None: no page to check)."""
    if item.page is None:
        return None
    return any(s.page in item.pages and relevant(s, item) for s in sources[:k])


def retrieval_scores(item: EvalItem, sources: Sequence[Source], k: int) -> RetrievalScores:
    """hit@k, recall@k (share of reference quotes found), MRR and binary nDCG@k."""
    flags = [relevant(s, item) for s in sources]
    rank = next((i + 1 for i, flag in enumerate(flags) if flag), None)
    top = sources[:k]
    found = sum(1 for quote in item.contexts if any(contains(s.text, quote) for s in top))
    dcg = sum(1.0 / math.log2(i + 2) for i, flag in enumerate(flags[:k]) if flag)
    ideal_hits = min(k, max(1, sum(flags[:k]), len(item.contexts)))
    idcg = sum(1.0 / math.log2(i + 2) for i in range(ideal_hits))
    in_k = rank is not None and rank <= k
    return RetrievalScores(
        rank=rank,
        hit=1.0 if in_k else 0.0,
        recall=found / len(item.contexts) if item.contexts else 0.0,
        mrr=1.0 / rank if in_k and rank else 0.0,
        ndcg=dcg / idcg if idcg else 0.0,
    )


def citation_validity(answer: Answer, min_support: float = 0.25) -> tuple[int, int]:
    """(valid, total) over the ``[n]`` markers in the answer text.

    A marker is valid when it points at a source the model was given, that source contains the
    citation's quote, and the quote supports the sentence that carries the marker.
    """
    by_number: dict[int, list[str]] = {}
    for citation in answer.citations:
        by_number.setdefault(citation.number, []).append(citation.quote)
    valid = total = 0
    for sentence in _CITED_SENTENCE.findall(answer.text):
        plain = _MARKER.sub("", sentence)
        for match in _MARKER.finditer(sentence):
            total += 1
            n = int(match.group(1))
            if not 1 <= n <= len(answer.sources):
                continue
            text = answer.sources[n - 1].text
            if any(contains(text, q) and overlap(plain, q) >= min_support for q in by_number.get(n, [])):
                valid += 1
    return valid, total


# Markup a learner should never see: markdown links and images, emphasis, code ticks, heading hashes,
# table pipes, HTML tags, a URL cut at a dot ("https://huggingface [2]") and a leftover piece of one
# ("edu/class/cs224n/) |").
_RAW_MARKUP = re.compile(
    r"\]\(|!\[|\*\*|__\w|`|^\s*#{1,6}\s|\s\|\s|^\s*\||<(?:/?[a-z][a-z0-9]*)(?:\s[^>]*)?>"
    r"|https?://[^\s./]+(?=[\s,;)]|$)|(?<![\w:/.])[a-z]{2,6}/[\w./~-]*\)",
    re.MULTILINE,
)


def raw_markup(text: str) -> list[str]:
    """The pieces of raw markup in an answer's text (empty when it is clean)."""
    return [m.group(0) for m in _RAW_MARKUP.finditer(text)]


_LINE_MARKERS = re.compile(r"\[(\d+)\]")


def unsupported_sentences(answer: Answer, question: str = "") -> tuple[int, int]:
    """(unsupported, total) claims in the answer text, checked independently of the answer's own checker:
    every line, item and sentence that states something must carry a [n] whose sources contain each number,
    URL, quoted title and proper name it states, and most of its words. Heading lines (ending with ':') and
    list leads are structure, and so is a note of ours (what the sources do not cover), which claims nothing."""
    from roadmap_rag.answer.citations import missing_specifics
    from roadmap_rag.text.sentences import sentence_spans

    notes = {b.title for b in answer.blocks if b.kind == "note"}
    bad = total = 0
    for line in answer.text.split("\n"):
        body = line.strip().removeprefix("- ").strip()
        if not body or body in notes:
            continue
        pieces = [body] if line.strip().startswith("- ") else [body[a:b] for a, b in sentence_spans(body)]
        for piece in pieces:
            numbers = [int(n) for n in _LINE_MARKERS.findall(piece)]
            plain = _LINE_MARKERS.sub("", piece).strip()
            if not numbers and plain.endswith(":"):
                continue  # a heading naming a roadmap and section
            if len(re.findall(r"[A-Za-z]{2,}", plain)) < 2:
                continue
            total += 1
            cited = [answer.sources[n - 1].text for n in numbers if 1 <= n <= len(answer.sources)]
            evidence = "\n".join(cited)
            if not cited or missing_specifics(plain, f"{evidence}\n{question}") or overlap(plain, evidence) < 0.5:
                bad += 1
    return bad, total


def chatter_sentences(answer: Answer, question: str = "") -> list[str]:
    """The answer's statements that tell the author's story, talk about the article, or answer back to the
    author (prose.is_chatter): an answer should quote none."""
    statements = (s for b in answer.blocks for s in ((b.lead,) if b.lead else ()) + b.statements)
    return [s.text for s in statements if is_chatter(s.text, answer.standalone or question)]
