"""Sentences of one line or paragraph: where a sentence ends, and where it may not (abbreviations, initials,
decimals, "et al.", URLs and parentheses)."""

from __future__ import annotations

import re

URL = re.compile(r"https?://[^\s<>()\[\]]+(?:\([^\s()]*\)[^\s<>()\[\]]*)*")
# Where a sentence may not end: abbreviations, initials, decimals and "et al.".
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "al",
        "vs",
        "cf",
        "approx",
        "fig",
        "figs",
        "eq",
        "eqs",
        "no",
        "nos",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "vol",
        "pp",
        "ch",
        "sec",
        "resp",
        "ca",
    ]
)
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+|$)")


def _protected(text: str) -> list[tuple[int, int]]:
    """Spans inside which a sentence never ends: URLs and parentheses."""
    spans = [(m.start(), m.end()) for m in URL.finditer(text)]
    depth, opened = 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            if depth == 0:
                opened = i
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                spans.append((opened, i + 1))
    return spans


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of one line or paragraph, stripped of surrounding space."""
    protected = _protected(text)
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if any(a < match.start() < b - 1 for a, b in protected):
            continue
        before = text[start : match.start()]
        word = re.search(r"([A-Za-z][A-Za-z.]*)$", before)
        if match.group(0).startswith(".") and word:
            token = word.group(1).lower().rstrip(".")
            if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                continue  # "e.g.", "et al.", an initial "J."
        if match.group(0) == "." and re.search(r"(?:^|[\s>(])\d{1,2}$", before):
            continue  # a numbered heading or item inside a line ("under 5. Large Language Models"), not a year
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]
