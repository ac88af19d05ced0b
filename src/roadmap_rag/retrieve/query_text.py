"""What retrieval does with a query's and a hit's text: a document's name found in the question, hyphenated
compounds also written joined (as a PDF may set them), and near-duplicate hits."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from roadmap_rag.index.lexical import DocumentInfo
from roadmap_rag.text.words import words as text_words


@functools.lru_cache(maxsize=4096)
def _shingles(text: str) -> frozenset[str]:
    """Word 3-grams; cached, as retrieve compares each pick with those before it (k^2/2 pairs)."""
    words = text_words(text)
    return frozenset(" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2)))


def near_duplicate(a: str, b: str, threshold: float = 0.8) -> bool:
    sa, sb = _shingles(a), _shingles(b)
    return bool(sa and sb) and len(sa & sb) / min(len(sa), len(sb)) >= threshold


def with_joined_compounds(query: str) -> str:
    """``query`` and each hyphenated word in it written as one, as a PDF may run it together: "BERT-large" is
    "BERTLARGE" where the paper set "LARGE" as a subscript."""
    joined = [w.replace("-", "") for w in re.findall(r"\b\w+(?:-\w+)+\b", query)]
    return " ".join([query, *joined])


def loose_name(name: str) -> str:
    """A pattern for a name as people type it: "14-day roadmap", "14 day roadmap" alike, and a doubled letter
    typed once ("curiculum", "geting started")."""
    parts = (re.sub(r"([a-z])\1", r"\1\1?", re.escape(part)) for part in re.split(r"[\s-]+", name.strip()))
    return r"[\s-]+".join(parts)


def name_patterns(documents: Mapping[str, DocumentInfo]) -> list[tuple[re.Pattern[str], str]]:
    """'the <alias>', or the alias a question opens on (optionally "'s", or followed by roadmap/guide/author), for
    every document alias."""
    out: list[tuple[re.Pattern[str], str]] = []
    aliases = {(alias, doc_id) for doc_id, info in documents.items() for alias in info.aliases}
    for alias, doc_id in sorted(aliases, key=lambda p: -len(p[0])):  # longest names first
        words = loose_name(alias)
        # "the comprehensive curriculum": a word of the document's own title may stand before its alias
        own = sorted(
            {w for w in re.findall(r"[a-z]{4,}", documents[doc_id].title.lower())} - set(alias.lower().split())
        )
        before = rf"(?:(?:{'|'.join(own)})\s+)?" if own else ""
        # "the curriculum", "the whole curriculum", or the name a terse question opens on ("curriculum study tips",
        # "core roadmap projects")
        the = r"(?:\bthe\s+(?:(?:whole|entire|full)\s+)?|^\W*)"
        pattern = rf"(?:\b(?:according to|in|from)\s+)?{the}{before}{words}(?:'s)?(?:\s+(?:roadmap|guide|author))?\b"
        out.append((re.compile(pattern, re.IGNORECASE), doc_id))
    return out
