"""A roadmap told as a story: the steps it announces ("I studied LLMs majorly in three steps:") and then walks
through in prose, with no list or heading to read them from. Its order (path) and its parts (overview)."""

from __future__ import annotations

import re

from roadmap_rag.answer.compose.builder import _Builder
from roadmap_rag.retrieve.library import DocumentView
from roadmap_rag.text.prose import is_chatter
from roadmap_rag.text.units import Unit
from roadmap_rag.types import Statement

# A line that announces the parts its prose then walks through ("I studied LLMs majorly in three steps:"), and
# a sentence that opens one of them ("For the second part of my studies, ...", "The last two stages ...").
_ANNOUNCES = re.compile(
    r"\b(?:in|into)\s+(?P<n>two|three|four|five|six|[2-9])\s+(?:main\s+|major\s+)?(?:steps|parts|stages|phases)\b",
    re.IGNORECASE,
)
# The sentences a step is quoted with: its opening and the one after it, which says what the step is.
_STEP_SENTENCES = 2
_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_OPENS_PART = re.compile(
    r"\b(?:second|third|fourth|fifth|next|last|final)\s+(?:\w+\s+)?(?:parts?|steps?|stages?|phases?)\b", re.I
)


def announced_steps(view: DocumentView) -> tuple[Unit, list[list[Unit]]] | None:
    """A roadmap told as a story that announces its steps and then walks through them in prose: the line that
    announces them, and each step's opening (the sentence after the announcement, then each sentence that opens
    "the second part", "the last stage" ...), each with the sentences up to the next step's opening."""
    for i, unit in enumerate(view.units):
        match = _ANNOUNCES.search(unit.text) if unit.kind == "intro" else None
        if match is None or any(u.kind == "item" for u in view.group(unit.group)):
            continue
        number = match.group("n").lower()
        count = _COUNTS.get(number) or int(number)
        prose = []
        for after in view.units[i + 1 :]:
            if after.kind != "sentence" or after.section != unit.section:
                break
            prose.append(after)
        openers = [0] + [j for j, u in enumerate(prose) if j and _OPENS_PART.search(u.text)]
        if len(openers) < 2:
            continue
        ends = [*openers[1:], len(prose)]
        return unit, [prose[j:end] for j, end in zip(openers[:count], ends, strict=False)]
    return None


def step_text(step: list[Unit], question: str) -> list[Unit]:
    """What a step says, as an answer may quote it: its first two sentences that are not the author's chatter for
    ``question`` (the author's story answers only a question about what the author did: prose.is_chatter)."""
    return [u for u in step if not is_chatter(u.text, question)][:_STEP_SENTENCES]


def joined(statements: list[Statement]) -> Statement:
    """Consecutive sentences of a source as one statement, citing each one's source."""
    citations = sorted({n for statement in statements for n in statement.citations})
    return Statement(" ".join(statement.text for statement in statements), tuple(citations))


def quote_steps(b: _Builder, view: DocumentView, steps: tuple[Unit, list[list[Unit]]], question: str) -> None:
    """The announcement as the lead of a list of the steps, each by what it says (``step_text``)."""
    announcement, openers = steps
    lead = b.statement(view, announcement)
    quoted = [step_text(step, question) for step in openers]
    b.listing([joined([b.statement(view, u) for u in step]) for step in quoted if step], lead=lead)
