"""The ``paper`` shape: the catalog's cards of the papers on the topic or named, after what the roadmaps say."""

from __future__ import annotations

import re

from roadmap_rag.answer.compose.builder import _Builder
from roadmap_rag.answer.compose.lists import ListShape
from roadmap_rag.corpus.catalog import CARD_PREFIX, PAPER_PREFIX
from roadmap_rag.retrieve.library import DocumentView
from roadmap_rag.retrieve.questions import Query
from roadmap_rag.retrieve.routing import names_a_paper
from roadmap_rag.types import Kind, Source

# "Which papers are recommended for chain-of-thought prompting?": papers on a topic, in the roadmaps' words first.
_ON_A_TOPIC = re.compile(r"\bpapers\b|\brecommend", re.IGNORECASE)
_WHERE_RECOMMENDED = re.compile(r"\brecommend|\bwhere\b.*\broadmaps?\b|\bwhich roadmaps?\b", re.IGNORECASE)


class PaperShape(ListShape):
    """The paper shape's methods (the about shape adds the cards with ``_cards``)."""

    def _paper(self, query: Query, views: list[tuple[int, Source, DocumentView]], b: _Builder) -> bool:
        b.show_links = True
        if self.cards_named and names_a_paper(query.text) and not _ON_A_TOPIC.search(query.text):
            # "the chinchilla paper, whats it about?": its card answers (who, when, what it introduced, where
            # the roadmaps recommend it), not the roadmaps' sentences about LLMs in general.
            self._cards(query, views, b, named_only=True)
            if b.blocks:
                return True
        text_views = [v for v in views if v[1].kind != Kind.PAPER_CARD]
        focus = self._focus(query, text_views)
        if focus:
            self._emit_focus(*focus, b)
        else:
            self._fact(query, text_views, b, limit=2)
        self._cards(query, views, b)
        return bool(b.blocks)

    def _cards(
        self, query: Query, views: list[tuple[int, Source, DocumentView]], b: _Builder, named_only: bool = False
    ) -> None:
        """The catalog's card for each paper on the topic: title, authors and year, what it introduced, link.
        ``named_only``: the cards of the papers the question names, whole (their authors and where the roadmaps
        recommend them too)."""
        candidates: list[tuple[float, DocumentView]] = []
        # The card of a paper whose text the answer draws on comes first: "what does the BERT paper say about
        # X, and where do the roadmaps recommend BERT?" is about that paper, not the ones beside it.
        read = {s.doc_id.removeprefix(PAPER_PREFIX) for _, s, _ in views if s.kind == Kind.PAPER}
        for _, source, view in views:
            cover = query.covers_topic(f"{view.title} {source.text}")
            named = view.doc_id in self.cards_named
            if (
                source.kind == Kind.PAPER_CARD
                and (named or not named_only)
                and (cover >= 0.5 or named or view.doc_id.removeprefix(CARD_PREFIX) in read)
            ):
                candidates.append((cover + 0.5 + (view.doc_id.removeprefix(CARD_PREFIX) in read) + 2 * named, view))
        for doc_id in () if named_only else self.doc_ids(Kind.PAPER_CARD):
            view = self.library.view(doc_id)
            if all(view is not v for _, v in candidates) and query.covers_topic(view.title) >= 0.99:
                candidates.append((1.0, view))
        candidates.sort(key=lambda c: -c[0])
        items = []
        for _, view in candidates[:2]:
            units = view.units
            title = next((u for u in units if u.kind == "heading"), None)
            cite_line = next((u for u in units if u.kind == "sentence" and re.search(r"\(.*\d{4}\)", u.text)), None)
            intro = next((u for u in units if "introduced" in u.text), None)
            link = next((u for u in units if u.text.lower().startswith(("arxiv", "link"))), None)
            if title is not None and cite_line is not None and not b.is_used(view, title):
                who = re.search(r"\(([^()]*\d{4})\)", cite_line.text)
                text = f"{title.text} ({who.group(1)})" if who else title.text
                items.append(b.statement(view, title, text=text))
            authors = next((u for u in units if u.text.startswith("Authors:")), None) if named_only else None
            shown = (intro, authors, link)
            items += [b.statement(view, u) for u in shown if u is not None and not b.is_used(view, u)]
            if named_only or _WHERE_RECOMMENDED.search(query.text):  # where the roadmaps recommend it: the card says
                places = [u for u in units if u.text.startswith("Recommended in")]
                items += [b.statement(view, u) for u in places if not b.is_used(view, u)]
        if items:
            b.heading("Papers")
            b.listing(items)
