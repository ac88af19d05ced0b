"""A question about a roadmap as a whole ("what's the core roadmap about?", "what does the curriculum cover?"):
what the roadmap says it is, then its main parts in order."""

from __future__ import annotations

from roadmap_rag.answer.compose.builder import _SKIP_SECTIONS, _Builder, _depth
from roadmap_rag.answer.compose.state import _State
from roadmap_rag.retrieve.library import DocumentView
from roadmap_rag.retrieve.questions import Query, terms
from roadmap_rag.text.prose import asks_duration, asks_verdict, is_chatter
from roadmap_rag.text.units import Unit, is_bare_title
from roadmap_rag.types import Kind

# Words that ask for the whole rather than name a topic: "in short", "an overview of", "what it covers".
_WHOLE_WORDS = (
    "overview summary summarize summarise short brief briefly gist outline tldr cover covers about contents "
    "structure parts whole general give tell show describe explain walk"
)
_WHOLE = frozenset(stem for word in _WHOLE_WORDS.split() for stem in terms(word))
# The roadmap's own description: at most this many of its opening sentences.
_OPENING = 2
# Its main parts: the shallowest level of headings with at least _PARTS of them, at most _MOST_PARTS shown.
_PARTS = 3
_MOST_PARTS = 12


class OverviewShape(_State):
    """The overview's methods."""

    def _overview_of(self, query: Query) -> DocumentView | None:
        """The roadmap a question asks about as a whole: it names one roadmap and, that name set aside, no word of
        its own but those that ask for the whole ("about", "in short", "overview": not "prerequisites", "book"),
        and asks neither how long nor whether to."""
        if len(self.named) != 1 or set(query.words) - _WHOLE or asks_duration(query.text) or asks_verdict(query.text):
            return None
        doc_id = self.named[0]
        if doc_id not in self.library or self.library.kind(doc_id) != Kind.ROADMAP or not self.allowed(doc_id):
            return None
        return self.library.view(doc_id)

    def _overview(self, view: DocumentView, b: _Builder) -> bool:
        parts = _main_parts(view)
        opening = _opening(view, parts)
        if not opening and not parts:
            return False
        b.heading(view.short_title[0].upper() + view.short_title[1:])
        b.paragraph([b.statement(view, u) for u in opening])
        b.listing([b.statement(view, u) for u in parts], lead=None)
        return True


def _opening(view: DocumentView, parts: list[Unit]) -> list[Unit]:
    """The sentences that open the roadmap, before its first part: what it says it is (not its title, not the
    author's story)."""
    out: list[Unit] = []
    for unit in view.units:
        if unit.kind == "heading":
            if out or unit in parts:
                break
            continue
        if unit.kind != "sentence":
            if out:
                break
            continue
        if is_bare_title(unit.text) or unit.text.rstrip(".") == view.title or is_chatter(unit.text):
            continue
        out.append(unit)
        if len(out) == _OPENING:
            break
    return out


def _main_parts(view: DocumentView) -> list[Unit]:
    """The roadmap's parts in order: the shallowest level of headings that has at least _PARTS of them."""
    headings = [u for u in view.units if u.kind == "heading" and not _SKIP_SECTIONS.search(u.text)]
    for depth in sorted({_depth(u) for u in headings}):
        level = [u for u in headings if _depth(u) == depth]
        if len(level) >= _PARTS:
            return level[:_MOST_PARTS]
    return []
