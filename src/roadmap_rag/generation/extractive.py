"""No LLM: the answer is the most relevant sentences of the top sources, each cited."""

from __future__ import annotations

import re
from collections.abc import Iterator

from roadmap_rag.citations import content_words, looks_like_instruction
from roadmap_rag.types import Source, Turn

_UNIT = re.compile(r"[^\n.!?]+[.!?]?")


class ExtractiveLLM:
    name = "extractive"

    def __init__(self, max_sentences: int = 3, max_sources: int = 3) -> None:
        self.max_sentences = max_sentences
        self.max_sources = max_sources

    def stream(self, question: str, sources: list[Source], history: list[Turn]) -> Iterator[str]:
        query = content_words(question)
        candidates: list[tuple[float, int, int, str]] = []
        for n, source in enumerate(sources, start=1):
            if n > self.max_sources and source.kind != "paper-card":
                continue  # paper cards come after the k sources (retrieval's card lane) and count
            for pos, unit in enumerate(_UNIT.findall(source.text)):
                text = unit.strip(" -*#>|")
                words = content_words(text)
                if len(words) < 3 or text.startswith("http") or looks_like_instruction(text):
                    continue
                score = len(query & words) / (len(query) or 1) + 0.15 / n
                candidates.append((score, n, pos, text))
        candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
        chosen = sorted(candidates[: self.max_sentences], key=lambda c: (c[1], c[2]))
        for i, (_, n, _, text) in enumerate(chosen):
            sentence = text if text[-1] in ".!?" else text + "."
            yield ("" if i == 0 else " ") + f"{sentence[:-1]} [{n}]{sentence[-1]}"
