"""Hybrid retrieval: three rankings of the same chunks fused by reciprocal rank fusion.

- passages: the chunk whose best line is closest to the question (dense, Chroma);
- chunks: the whole chunk's vector (dense, Chroma);
- lexical: BM25 over chunk text and section path (llama-index).

Paper cards ride in their own lane: see ``retrieve``.

A question that names a document ("what does the curriculum say...") is searched in that
document, with the name removed from the query. Choices and figures: see eval/README.md.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from roadmap_rag.corpus.chunking import Chunk
from roadmap_rag.index.embeddings import Embedder
from roadmap_rag.index.guides import GUIDES_WHERE, load_guides
from roadmap_rag.index.lexical import ROADMAP_KINDS, DocumentInfo, Lexical, in_step
from roadmap_rag.index.slices import Slice
from roadmap_rag.index.store import VectorStore
from roadmap_rag.observe import tracing
from roadmap_rag.retrieve import paper_sentences
from roadmap_rag.retrieve.library import Library, to_source
from roadmap_rag.retrieve.query_text import name_patterns, near_duplicate, with_joined_compounds
from roadmap_rag.retrieve.questions import search_text, terms
from roadmap_rag.retrieve.routing import CardName, PaperName, card_names, named_cards, paper_names, route
from roadmap_rag.retrieve.scope import Filters, Retrieved
from roadmap_rag.settings import Settings
from roadmap_rag.types import NAVIGATION, Kind, Source, section_leaf

_log = logging.getLogger(__name__)
Mode = Literal["hybrid", "dense", "lexical"]
# RRF weights of the passage, chunk, lexical and sentence-lexical rankings, then the two lexical rankings
# scored with the named paper's own term statistics (papers only).
FUSION_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.0, 0.0)
# A paper's text, searched for a question that names it: the lexical lanes lead. On the paper golden set,
# within the named paper: BM25 over chunks hit@5 0.837, over sentence runs 0.837, the dense passages 0.714
# and the dense (pooled) chunk vectors 0.673 (MiniLM reads paper prose poorly); fused equally 0.816, with
# these weights 0.857 (scripts and figures: eval/README.md). The same two lexical lanes again, scored with the
# paper's own statistics (its name, in every chunk, then weighs nothing): 0.878 -> 0.898 beside the others.
PAPER_WEIGHTS = (0.5, 0.0, 1.0, 1.0, 1.0, 1.0)
# A named paper's candidates, reranked by their best sentence before the k best are kept (paper_sentences).
PAPER_CANDIDATES = 20
# What a chunk of a paper's appendix gives up in the fused order (an RRF rank is worth 1/(rrf_k + rank)): the
# body states what the paper claims; an appendix wins only where it is clearly the better match.
APPENDIX_PENALTY = 0.03
# A filter that selects at most this many chunks is searched exactly in memory (store.Slice), not through
# Chroma's filtered HNSW search, which grows with the whole collection (docs/benchmarks.md).
SLICE_CHUNKS = 5_000
SLICES_KEPT = 32


Hits = list[tuple[Chunk, float]]
_DEFINITION = re.compile(
    r"^\W*(?:what(?:'s|s|\s+(?:even\s+)?(?:is|are))|define|describe)\s+(?:an?\s+|the\s+)?"
    r"(?P<subject>[^?.!]+?)\W*$",
    re.IGNORECASE,
)
LANES = ("passages", "chunks", "lexical", "sentences", "lexical.local", "sentences.local")  # _Rankings.all()


@dataclass
class _Rankings:
    """One question's candidates from each retriever, best first."""

    depth: int
    passages: Hits = field(default_factory=list)  # chunks by their best line (dense)
    chunks: Hits = field(default_factory=list)  # chunks by their whole vector (dense)
    lexical: Hits = field(default_factory=list)  # BM25
    sentences: Hits = field(default_factory=list)  # papers: chunks by their best sentence run (BM25)
    lexical_local: Hits = field(default_factory=list)  # papers: BM25 with the paper's own term statistics
    sentences_local: Hits = field(default_factory=list)
    lines: list[tuple[str, str, float]] = field(default_factory=list)  # (chunk id, line, similarity)
    vector: list[float] | None = None  # the query's embedding (dense modes)
    paper: bool = False  # a named paper's text: PAPER_WEIGHTS, and its appendix gives up APPENDIX_PENALTY

    @property
    def weights(self) -> tuple[float, ...]:
        return PAPER_WEIGHTS if self.paper else FUSION_WEIGHTS

    def all(self) -> tuple[Hits, ...]:
        """In FUSION_WEIGHTS' order."""
        return self.passages, self.chunks, self.lexical, self.sentences, self.lexical_local, self.sentences_local


def _card_lane(filters: Filters) -> bool:
    """Cards ride in their own lane unless the user asked for cards alone."""
    return not filters.kinds or bool(set(filters.kinds) - {Kind.PAPER_CARD})


class HybridRetriever:
    """Dense (Chroma) + BM25 (the persistent lexical index) over the same chunks, in step with the store's
    generation: nothing is read from the store at start beyond what a question needs."""

    def __init__(self, settings: Settings, store: VectorStore, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._lock = threading.Lock()
        self.lexical_index = Lexical(settings.lexical_dir)
        self._generation: str | None = None  # the store generation the state below was read at
        self._lagging = ""  # the store generation the lexical index was last seen behind (warned once)
        self._reranker: Any = None
        self._names: list[tuple[re.Pattern[str], str]] = []
        self._papers: list[PaperName] = []  # names of the papers whose text is indexed
        self._card_names: list[CardName] = []  # loose names of the papers whose cards are indexed
        self._roadmap_kinds: tuple[str, ...] = ()  # what a question that names no paper searches (): all)
        # With papers indexed, the roadmaps (and cards) have a lexical index of their own, so a question that
        # names no paper is scored with the roadmaps' term statistics alone, as if no paper were indexed.
        self._roadmap_docs: set[str] = set()
        self._library: Library | None = None
        self._slices: dict[tuple[tuple[str, ...], tuple[str, ...]], Slice] = {}
        self._guides: Slice | None = None  # every roadmap and card chunk: the slices among them are cut from it
        self._warming: threading.Event | None = None  # set once the store's vector index is in memory (warm)

    def warm(self) -> None:
        """Load what questions need in the background: the lexical index, the roadmaps' and cards' vectors and
        the store's whole vector index, which an embedded Chroma reads into memory on the first search (seconds
        at a million chunks). Until it is in, a question that searches the whole index is answered without it
        when the roadmaps and cards ground it (``_dense_both``)."""
        self._warming = threading.Event()
        threading.Thread(target=self._warm_up, args=(self._warming,), name="roadmap-rag-warm", daemon=True).start()

    def _warm_up(self, done: threading.Event) -> None:
        try:
            self._sync()
            if self._slice(Filters()) is None:  # too large to search in memory: Chroma's index serves it
                self._slice(Filters(kinds=ROADMAP_KINDS))
                vector = self.embedder.embed_query("warm")
                self.store.query(vector, 1)
                self.store.query_passages(vector, 1)
        except Exception as exc:  # the question that needs it meets the same fault, and says so
            _log.debug("warming the index failed: %s", exc)
        finally:
            done.set()

    def _cold(self, filters: Filters, vector: Sequence[float]) -> Slice | None:
        """While the store's vector index is still loading (past ``warm_wait_s``): the roadmaps and cards the
        filters allow, when their best line grounds the question; None: wait for the index."""
        warming = self._warming
        if warming is None or warming.wait(self.settings.warm_wait_s):
            return None
        guides = self._saved_guides()
        if guides is not None:
            small = guides.subset(filters.accepts)
            best = small.query_passages(vector, 1)
            if best and best[0][1] >= self.settings.passage_floor:
                _log.info("answered from the roadmaps and cards while the vector index loads")
                return small
        warming.wait()
        return None

    def _saved_guides(self) -> Slice | None:
        """The one slice of every roadmap and card as the ingest saved it (read once per generation), or None
        where none was saved (the store's records are read instead, by _slice, once the index has loaded)."""
        if self._guides is None:
            self._guides = load_guides(self.lexical_index.path, self._generation or "")
        return self._guides

    def _sync(self, refresh: bool = True) -> None:
        """In step with the store (checked only when ``refresh``): when its generation changed (an ingest,
        here or in another process), see the lexical index's last commit and the store's new data, and forget
        what was read from the documents before. A reader never writes: while the lexical index lags (an ingest
        still writing, one that was killed, one on another machine) it serves the last commit and looks again
        at the next question; the next ingest (or `doctor --repair`) brings it in step."""
        if not refresh and self._generation is not None:
            return
        generation = self.store.generation()
        if generation == self._generation:
            return
        with self._lock:
            if generation == self._generation:
                return
            self.lexical_index.reload()
            synced = in_step(self.lexical_index, self.store, generation)
            if not synced and generation != self._lagging:
                _log.warning(
                    "the lexical index at %s is behind the store (an ingest is writing, or one was interrupted); "
                    "serving its last commit until it is in step: `roadmap-rag ingest` repairs it",
                    self.lexical_index.path,
                )
            self._lagging = "" if synced else generation
            if synced:
                self.store.refresh(generation)  # another process's writes: see them (embedded Chroma caches)
            documents = self.lexical_index.documents()
            self._names = name_patterns(documents)
            self._papers, self._roadmap_kinds = self._paper_routes(documents)
            self._card_names = self._cards_named(documents)
            mine = [d for d, info in documents.items() if info.kind in ROADMAP_KINDS]
            self._roadmap_docs = set(mine) if self._roadmap_kinds else set()
            self._library = None
            self._slices.clear()
            self._guides = None
            self._generation = generation if synced else None

    def _paper_routes(self, documents: Mapping[str, DocumentInfo]) -> tuple[list[PaperName], tuple[str, ...]]:
        """The indexed papers' names, and the kinds a question naming none of them searches: the roadmaps
        and the cards, when every indexed paper can be named (a PDF outside the catalog cannot: then all)."""
        papers = {d for d, info in documents.items() if info.kind == Kind.PAPER}
        if not papers:
            return [], ()
        from roadmap_rag.corpus.catalog import load_catalog

        catalog = load_catalog(self.settings.papers_catalog) if self.settings.papers_catalog.exists() else None
        names = paper_names(catalog.papers if catalog else (), papers)
        nameable = {n.doc_id for n in names}
        has_roadmaps = any(info.kind == Kind.ROADMAP for info in documents.values())
        kinds = (Kind.ROADMAP, Kind.PAPER_CARD) if has_roadmaps and papers <= nameable else ()
        return names, kinds

    def _cards_named(self, documents: Mapping[str, DocumentInfo]) -> list[CardName]:
        cards = {d for d, info in documents.items() if info.kind == Kind.PAPER_CARD}
        if not cards or not self.settings.papers_catalog.exists():
            return []
        from roadmap_rag.corpus.catalog import load_catalog

        return card_names(load_catalog(self.settings.papers_catalog).papers, cards)

    def library(self) -> Library:
        """The indexed documents as structure (for the composer): each read from the store when first
        needed; rebuilt when the index changes."""
        self._sync(refresh=False)
        with self._lock:
            if self._library is None:
                documents = {d: (info.kind, info.title) for d, info in self.lexical_index.documents().items()}
                self._library = Library.lazy(documents, self.lexical_index.document_chunks)
            return self._library

    def lexical(
        self, query: str, k: int, filters: Filters, refresh: bool = True, local: bool = False
    ) -> list[tuple[Chunk, float]]:
        """The k best chunks by BM25 that ``filters`` accepts (filtered inside the index); ``local``: scored
        with the term statistics of the chunks the filters select."""
        self._sync(refresh)
        index = "roadmaps" if self._roadmap_kinds and self._on_roadmaps(filters) else "chunks"
        return self.lexical_index.search(index, query, k, filters.doc_ids, filters.kinds, local)

    def _on_roadmaps(self, filters: Filters) -> bool:
        """The filters keep to the roadmaps and cards (by kind, or by naming only such documents)."""
        if filters.kinds:
            return set(filters.kinds) <= set(self._roadmap_kinds)
        return bool(filters.doc_ids) and set(filters.doc_ids) <= self._roadmap_docs

    def sentences(self, query: str, k: int, filters: Filters, local: bool = False) -> list[tuple[Chunk, float]]:
        """Paper chunks by the BM25 score of their best sentence run."""
        hits = self.lexical_index.search_runs(query, k, filters.doc_ids, filters.kinds, local)
        chunks = {c.id: c for c in self.store.chunks_by_id([cid for cid, _ in hits])}
        return [(chunks[cid], score) for cid, score in hits if cid in chunks]

    def _dense_both(
        self, query: str, k: int, filters: Filters, vector: Sequence[float]
    ) -> tuple[list[tuple[Chunk, float]], list[tuple[Chunk, float]], list[tuple[str, str, float]]]:
        """Whole-chunk hits, passage hits (best line per chunk), each best first, and the passage lines."""
        small = self._slice(filters)
        if small is None:
            small = self._cold(filters, vector)
        if small is not None:  # the slice holds every chunk its passages belong to
            chunks, found, known = small.query(vector, k), small.query_passages(vector, k * 4), small.by_id
        else:
            chunks = self.store.query(vector, k, filters.where())
            found = self.store.query_passages(vector, k * 4, filters.where())
            known = {chunk.id: chunk for chunk, _ in chunks}
            owners = [cid for cid in dict.fromkeys(cid for cid, _, _ in found) if cid not in known]
            known.update((c.id, c) for c in self.store.chunks_by_id(owners))
        best: dict[str, float] = {}
        lines = []
        for chunk_id, score, text in found:
            if chunk_id in known:  # a passage whose chunk a crash left behind is skipped
                lines.append((chunk_id, text, score))
                best.setdefault(chunk_id, score)
        passages = [(known[cid], score) for cid, score in best.items()][:k]
        return chunks, passages, lines

    def _slice(self, filters: Filters) -> Slice | None:
        """Where the filters select few chunks (a named roadmap, the roadmaps and cards, a small index), their
        vectors in memory, searched exactly; None where Chroma's index serves (a large selection). Exact search
        is also the same search in every process: Chroma's HNSW index, loaded afresh, returned a different tail
        of the 80 best lines for 6 of 90 questions on the shipped corpus, and the composer reads that tail."""
        key = (filters.doc_ids, filters.kinds)
        cached = self._slices.get(key)
        if cached is not None:
            return cached
        documents = self.lexical_index.documents()
        selected = [info for d, info in documents.items() if filters.selects(d, info.kind)]
        if not documents or sum(info.chunks for info in selected) > SLICE_CHUNKS:
            return None
        guides = sum(info.chunks for info in documents.values() if info.kind in ROADMAP_KINDS)
        among_guides = bool(selected) and all(info.kind in ROADMAP_KINDS for info in selected)
        with self._lock:
            if key not in self._slices:
                if len(self._slices) >= SLICES_KEPT:
                    self._slices.pop(next(iter(self._slices)))  # the oldest
                if among_guides and guides <= SLICE_CHUNKS:
                    # A named roadmap, a card: cut from the one slice of every roadmap and card, read once per
                    # generation. Each read of the store with a filter scans the whole collection's records
                    # (at a million chunks the named-roadmap questions were the slow tail: docs/benchmarks.md).
                    saved = self._saved_guides()
                    self._guides = saved if saved is not None else self.store.vectors(GUIDES_WHERE)
                    self._slices[key] = self._guides.subset(filters.accepts)
                else:
                    self._slices[key] = self.store.vectors(filters.where())
            return self._slices[key]

    def named_documents(self, query: str) -> tuple[tuple[str, ...], str]:
        """Documents the query names by an alias, and the query with those names removed."""
        self._sync()
        named: list[str] = []
        for pattern, doc_id in self._names:
            if pattern.search(query):
                named.append(doc_id)
                query = pattern.sub(" ", query)
        return tuple(dict.fromkeys(named)), re.sub(r"\s+", " ", query).strip() or query

    def retrieve(
        self, query: str, k: int | None = None, filters: Filters | None = None, mode: Mode = "hybrid"
    ) -> Retrieved:
        filters = filters or Filters()
        query = search_text(query)
        retrieved = self._routed(query, k or self.settings.top_k, filters, mode)
        return self._with_named_cards(query, retrieved, filters)

    def _with_named_cards(self, query: str, retrieved: Retrieved, filters: Filters) -> Retrieved:
        """The cards of the papers the question names ("the lora paper", "Hinton's distillation paper") come
        first among the cards, whatever their rank: the question is about them."""
        routed = any(s.kind == Kind.PAPER for s in retrieved.sources)  # a paper's text answers: its card rides
        if not _card_lane(filters) or filters.doc_ids or retrieved.named or routed or not self.settings.card_k:
            return retrieved  # the user's filters, or a roadmap the question names, bind the answer
        wanted = [c for c in named_cards(query, self._card_names) if filters.selects(c, Kind.PAPER_CARD)]
        if not wanted:
            return retrieved
        library = self.library()
        have = {s.doc_id for s in retrieved.sources}
        named = [to_source(library.chunks(c)[0], 1.0) for c in wanted[: self.settings.card_k] if c not in have]
        named = [s for s in named if s.doc_id in library]
        first = [s for s in retrieved.sources if s.kind == Kind.PAPER_CARD and s.doc_id in wanted]
        text = [s for s in retrieved.sources if s.kind != Kind.PAPER_CARD]
        others = [s for s in retrieved.sources if s.kind == Kind.PAPER_CARD and s.doc_id not in wanted]
        cards = (first + named + others)[: self.settings.card_k]
        return replace(retrieved, sources=text + cards, cards_named=tuple(c.doc_id for c in first + named))

    def _routed(self, query: str, k: int, filters: Filters, mode: Mode) -> Retrieved:
        chosen = bool(filters.doc_ids or filters.kinds)  # the user's filters are never routed around
        named, stripped = self.named_documents(query)
        if named and not filters.doc_ids:
            filters = replace(filters, doc_ids=named)
            query = stripped
        if chosen or named:
            return self._retrieve(query, k, filters, mode, named)
        if self._roadmap_kinds:
            filters = replace(filters, kinds=self._roadmap_kinds)
        routed = route(query, self._papers)
        retrieved = self._retrieve(query, k, filters, mode, named)
        if not routed.papers:
            return retrieved
        # The named papers' text first, then (when the question asks about them too) the roadmaps' best.
        quota = routed.quota(k)
        library = self.library()
        search = routed.query  # with the acronyms the papers define: "reward model" finds "6B RMs"
        search = with_joined_compounds(search)
        for doc_id in routed.papers:
            if doc_id in library:
                search = library.view(doc_id).abbreviated(search, paper_sentences.names_of(library, doc_id))
        first = self._retrieve(search, max(k, PAPER_CANDIDATES), Filters(doc_ids=routed.papers), mode, (), True)
        with tracing.stage("rerank"):  # by each candidate's best sentence, as the composer reads them
            ranked = paper_sentences.rerank(query, first.sources, library, first.lines)
        papers = [s for s in ranked if s.kind == Kind.PAPER]
        if routed.plain:  # named by a plain term: the paper's body, not its appendices
            papers = [s for s in papers if not s.section.startswith("Appendix")]
        first = replace(first, sources=papers[:quota])
        taken = {s.id for s in first.sources}
        rest = [s for s in retrieved.sources if s.id not in taken and s.kind != Kind.PAPER_CARD]
        cards = [s for s in retrieved.sources if s.kind == Kind.PAPER_CARD]
        return Retrieved(
            sources=first.sources + rest[: k - len(first.sources)] + cards,
            best_passage=max(first.best_passage, retrieved.best_passage),
            lines=first.lines + retrieved.lines,
        )

    def _retrieve(
        self, query: str, k: int, filters: Filters, mode: Mode, named: tuple[str, ...], paper: bool = False
    ) -> Retrieved:
        rankings = self._rankings(query, max(self.settings.candidate_k, k), filters, mode)
        if paper and mode != "dense":
            with tracing.stage("lane.sentences"):
                rankings.sentences = self.sentences(query, rankings.depth, filters)
                rankings.sentences_local = self.sentences(query, rankings.depth, filters, local=True)
            with tracing.stage("lane.lexical", local=True):
                rankings.lexical_local = self.lexical(query, rankings.depth, filters, refresh=False, local=True)
            rankings.paper = True
        cards = self._cards(rankings, k, filters)
        if cards and mode == "hybrid":
            # The catalog as a glossary: the lexical retriever also reads the names of the papers the
            # question matched ("a compact network imitating a bigger one" -> "Knowledge Distillation"),
            # the words the roadmaps use. Measured: hit@5 0.899 -> 0.911 (eval/README.md).
            names = " ".join(card.title.split(" (")[0] for card in cards)
            with tracing.stage("lane.lexical", glossary=True):
                rankings.lexical = self.lexical(f"{query} {names}", rankings.depth, filters, refresh=False)
        for name, hits in zip(LANES, rankings.all(), strict=True):
            tracing.lane(name, hits)
        with tracing.stage("fuse"):
            picked = self._pick(query, rankings, k, _card_lane(filters))
        lines = rankings.lines
        small = self._slice(filters)
        if small is not None and rankings.vector is not None:
            # Every line passage of the picked chunks, not only those among the best k*4: the composer ranks
            # units by their line's similarity (a paper's sentence runs too), and a line left out would count as 0.
            lines = lines + small.passages_of([s.id for s in picked + cards], rankings.vector)
        return Retrieved(
            sources=picked + cards,
            best_passage=max((score for _, score in rankings.passages), default=0.0),
            named=named if filters.doc_ids == named else (),
            lines=tuple(lines),
        )

    def _rankings(self, query: str, depth: int, filters: Filters, mode: Mode) -> _Rankings:
        """The passage, chunk and lexical rankings of the ``depth`` best candidates each (as ``mode`` allows)."""
        rankings = _Rankings(depth)
        if mode != "lexical":
            with tracing.stage("lane.dense"):
                rankings.vector = self.embedder.embed_query(query)
                rankings.chunks, rankings.passages, rankings.lines = self._dense_both(
                    query, depth, filters, rankings.vector
                )
        if mode != "dense":
            with tracing.stage("lane.lexical"):
                rankings.lexical = self.lexical(query, depth, filters, refresh=False)
        return rankings

    def _cards(self, rankings: _Rankings, k: int, filters: Filters) -> list[Source]:
        """Paper cards (a few lines about a paper) ride in their own lane: they neither take one of the k
        places nor shift the order of the text; a card that ranks within the top k of the mixed order is
        kept after the k sources (at most card_k of them)."""
        if not _card_lane(filters) or not self.settings.card_k:
            return []
        mixed, chunks = self._fuse(rankings.all(), rankings.weights)
        top = sorted(mixed, key=lambda cid: (-mixed[cid], cid))[:k]
        cards = [to_source(chunks[c], mixed[c]) for c in top if chunks[c].kind == Kind.PAPER_CARD]
        return cards[: self.settings.card_k]

    def _pick(self, query: str, rankings: _Rankings, k: int, card_lane: bool) -> list[Source]:
        """The k best text chunks by fused rank (reranked if configured), skipping near-duplicates."""
        text_only = [[hit for hit in r if not card_lane or hit[0].kind != Kind.PAPER_CARD] for r in rankings.all()]
        fused, chunks = self._fuse(text_only, rankings.weights)
        if rankings.paper:
            for cid, chunk in chunks.items():
                fused[cid] -= APPENDIX_PENALTY * chunk.section.startswith("Appendix")
        for cid in self._titled(query, chunks):
            fused[cid] += max(rankings.weights) / (self.settings.rrf_k + 1)  # as the first of one more lane
        order = sorted(fused, key=lambda cid: (-fused[cid], cid))
        if self.settings.reranker:
            order = self._rerank(query, [chunks[c] for c in order[: rankings.depth]])
        picked: list[Source] = []
        contents: list[Source] = []
        for cid in order:
            chunk = chunks[cid]
            if any(near_duplicate(chunk.text, s.text) for s in picked):
                continue
            if NAVIGATION.search(section_leaf(chunk.section)):
                # A table of contents names sections and holds none: it takes no place of the k, and one that
                # ranks among them rides after them (where a part sits in the order, for a model to read).
                if not contents:
                    contents.append(to_source(chunk, fused[cid]))
                continue
            picked.append(to_source(chunk, fused[cid]))
            if len(picked) >= k:
                break
        return picked + contents

    def _titled(self, query: str, chunks: Mapping[str, Chunk]) -> list[str]:
        """For "what is X?": the chunks under a heading that names X and nothing else ("What are Large Language
        Models?" for "what even is an LLM"), its acronyms spelled out by the document that defines them."""
        match = _DEFINITION.match(query)
        if not match:
            return []
        library = self.library()
        typed = {w.lower().rstrip("s") for w in match["subject"].split()}  # "llm" as learners type "LLMs"
        subjects: dict[str, set[str]] = {}  # the subject's words, as each document spells its acronyms

        def subject_in(doc_id: str) -> set[str]:
            if doc_id not in subjects:
                view = library.view(doc_id)
                longs = [long for short, long in view.acronyms.items() if short.lower().rstrip("s") in typed]
                subjects[doc_id] = set(terms(" ".join([view.spelled_out(match["subject"]), *longs])))
            return subjects[doc_id]

        found = []
        for cid, chunk in chunks.items():
            if chunk.kind not in ROADMAP_KINDS or chunk.doc_id not in library:
                continue  # a paper's section heading names its own topic, not a learner's "what is"
            leaf = set(terms(chunk.section.split(">")[-1]))
            if not leaf:
                continue
            subject = subject_in(chunk.doc_id)
            if leaf <= subject and len(leaf) >= min(2, len(subject)):
                found.append(cid)
        return found

    def _fuse(
        self, rankings: Sequence[Sequence[tuple[Chunk, float]]], weights: Sequence[float] = FUSION_WEIGHTS
    ) -> tuple[dict[str, float], dict[str, Chunk]]:
        """Reciprocal rank fusion of the passage, chunk, lexical (and sentence) rankings."""
        fused: dict[str, float] = {}
        chunks: dict[str, Chunk] = {}
        for weight, ranking in zip(weights[: len(rankings)], rankings, strict=True):
            for rank, (chunk, _) in enumerate(ranking):
                fused[chunk.id] = fused.get(chunk.id, 0.0) + weight / (self.settings.rrf_k + rank + 1)
                chunks[chunk.id] = chunk
        return fused, chunks

    def _rerank(self, query: str, candidates: Sequence[Chunk]) -> list[str]:
        if self._reranker is None:
            from sentence_transformers import CrossEncoder

            self._reranker = CrossEncoder(self.settings.reranker, device="cpu")
        with self._lock:
            scores = self._reranker.predict([(query, c.embedding_text()) for c in candidates])
        ranked = sorted(zip(candidates, scores, strict=True), key=lambda p: -float(p[1]))
        return [c.id for c, _ in ranked]
