"""Words as every stage reads them: one tokenizer and one stop-word list.

Modules that need more stop words (a question's pointer words, a title's minor words) extend this list
by name, so the shared core is written once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

WORD = re.compile(r"[a-z0-9]+")  # on lower-cased text

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "should",
        "so",
        "than",
        "that",
        "the",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


def words(text: str) -> list[str]:
    """The lower-cased words of ``text``."""
    return WORD.findall(text.lower())


_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def fold(text: str) -> str:
    """Case, quote-style and whitespace-insensitive form used to match quotes and key facts."""
    return re.sub(r"\s+", " ", text.translate(_FOLD)).strip().lower()


def bare(text: str) -> str:
    """``text`` as its words alone: lower-cased, punctuation and spacing aside ("Fine-Tuning & Adaptation" ->
    "fine tuning adaptation"): how options, goals and questions are compared."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def contains(text: str, quote: str) -> bool:
    return fold(quote) in fold(text)


def fact_recall(text: str, facts: Sequence[Sequence[str]]) -> tuple[int, int]:
    """(stated, total) key facts: a fact is stated when any of its alternatives occurs in ``text``
    (case, whitespace and quote-style insensitive). The eval scores answers with it; quizzes, a learner's."""
    return sum(1 for group in facts if any(contains(text, alt) for alt in group)), len(facts)


_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9.]*[A-Z][A-Za-z0-9.]*?)(?:s)?\)")
_MINOR = frozenset(["of", "from", "the", "and", "for", "with", "to", "in", "on", "a", "an", "via", "by"])


def acronyms(text: str) -> dict[str, str]:
    """The acronyms ``text`` defines, each with its long form: "rotary position embedding (RoPE)",
    "Reinforcement Learning from Human Feedback (RLHF)", "Low-Rank Adaptation (LoRA)". An acronym counts when
    its capitals are the initials of the words before it (minor words skipped, hyphenated parts counted)."""
    found: dict[str, str] = {}
    for match in _ACRONYM.finditer(text):
        acronym = match.group(1)
        letters = [c for c in acronym if c.isupper()]
        words = text[max(0, match.start() - 120) : match.start()].split()
        taken: list[str] = []  # the long form's words, last first
        parts = 0
        for word in reversed(words):
            bare = re.sub(r"^\W+|\W+$", "", word)
            if not bare or parts >= len(letters):
                break
            taken.append(bare)
            if bare.lower() in _MINOR:
                continue
            for part in reversed([p for p in bare.split("-") if p]):
                if parts < len(letters) and part[0].upper() == letters[len(letters) - 1 - parts]:
                    parts += 1
                elif part[0].isupper() or part[0].isalpha():
                    parts = len(letters) + 1  # a word whose initial is not the next capital: no match
                    break
        if parts == len(letters) and taken and taken[-1].lower() not in _MINOR:
            found.setdefault(acronym, " ".join(reversed(taken)))
    return found
