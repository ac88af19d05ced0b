"""Verdict questions ("should I ...", "do I need ..."): the recommendation an answer opens on."""

from __future__ import annotations

from roadmap_rag.answer.compose.state import _State
from roadmap_rag.retrieve.library import DocumentView
from roadmap_rag.retrieve.questions import Query
from roadmap_rag.text.prose import is_advice
from roadmap_rag.text.units import Unit

# A verdict question's recommendation is looked for among the units the model finds likeliest, this many.
_VERDICT_POOL = 12


class VerdictShape(_State):
    """The verdict the fact shape puts first."""

    def _verdict(
        self, query: Query, scored: list[tuple[float, int, DocumentView, Unit]]
    ) -> tuple[float, int, DocumentView, Unit] | None:
        """For "should I ...", "do I need ...": the likeliest unit that advises (prose.is_advice) on one of the
        question's topic words, among the _VERDICT_POOL likeliest, so that the answer opens on a recommendation
        rather than on the topic's facts."""
        ranked = sorted(scored, key=lambda t: -self.chances.get((t[2].doc_id, t[3].start), 0.0))[:_VERDICT_POOL]
        return next(
            (
                t
                for t in ranked
                if t[3].kind in ("sentence", "item") and is_advice(t[3].text) and query.covers_topic(t[3].text) > 0
            ),
            None,
        )
