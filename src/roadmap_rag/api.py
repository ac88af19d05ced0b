"""The Python API: `Assistant().retrieve / ask / stream`. The CLI, the app and the eval suite call this."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

from roadmap_rag.citations import check, overlap, verify
from roadmap_rag.composer import Composer
from roadmap_rag.embeddings import Embedder, make_embedder
from roadmap_rag.errors import BackendUnavailable, QuestionError
from roadmap_rag.generation import LLM, make_llm
from roadmap_rag.questions import topic_support
from roadmap_rag.retrieval import Filters, HybridRetriever, Mode, Retrieved
from roadmap_rag.settings import Settings
from roadmap_rag.store import VectorStore, make_store
from roadmap_rag.types import Answer, Kind, Source, Turn, render_blocks, section_leaf

# Off-corpus check: a clear passage match, or a weaker one backed by the question's own words.
_WEAK_PASSAGE = 0.25
_LEXICAL_SUPPORT = 0.5


class Assistant:
    """Thread-safe: one instance can serve the app's sessions and the eval suite at once."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        store: VectorStore | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.embedder = embedder or make_embedder(self.settings)
        self.store = store or make_store(self.settings, self.embedder.name)
        self.retriever = HybridRetriever(self.settings, self.store, self.embedder)
        self._llms: dict[str, tuple[LLM, list[str]]] = {}
        self._llm_lock = threading.Lock()

    # -- retrieval ---------------------------------------------------------------------------
    def _validate(self, question: str) -> str:
        question = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
        if not question:
            raise QuestionError("the question is empty; type a question about the roadmaps")
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(
                f"the question has {len(question):,} characters, over the limit of "
                f"{self.settings.max_question_chars:,}; shorten it (or raise ROADMAP_RAG_MAX_QUESTION_CHARS)"
            )
        return question

    def _retrieve(
        self, question: str, k: int | None, doc_ids: Sequence[str], kinds: Sequence[str], mode: Mode
    ) -> Retrieved:
        filters = Filters(doc_ids=tuple(doc_ids), kinds=tuple(kinds))
        return self.retriever.retrieve(question, k or self.settings.top_k, filters, mode)

    def retrieve(
        self,
        question: str,
        k: int | None = None,
        *,
        doc_ids: Sequence[str] = (),
        kinds: Sequence[str] = (),
        mode: Mode = "hybrid",
    ) -> list[Source]:
        """The best ``k`` sources for ``question``, best first; then up to ``card_k`` paper cards that
        ranked within the top ``k`` (kind "paper-card"; they never displace roadmap or paper text)."""
        return self._retrieve(self._validate(question), k, doc_ids, kinds, mode).sources

    # -- answering ---------------------------------------------------------------------------
    def llm(self, choice: str | None = None) -> tuple[LLM, list[str]]:
        key = choice or self.settings.llm
        with self._llm_lock:
            if key not in self._llms:
                self._llms[key] = make_llm(self.settings, key)
            return self._llms[key]

    def _grounded(self, question: str, retrieved: Retrieved) -> bool:
        if not retrieved.sources:
            return False
        if retrieved.best_passage >= self.settings.min_passage_score:
            return True
        # The question's own words in one of the best sources ("which paper introduced LoRA?" in its card),
        # or more than half of its topic words, once a named document and the generic words are set aside.
        supporting = _supporting(retrieved.sources)
        support = max(overlap(question, f"{s.title} {s.section} {s.text}") for s in supporting)
        topic = topic_support(self.retriever.named_documents(question)[1], supporting)
        return retrieved.best_passage >= _WEAK_PASSAGE and (support >= _LEXICAL_SUPPORT or topic > _LEXICAL_SUPPORT)

    @staticmethod
    def standalone_query(question: str, history: Sequence[Turn]) -> str:
        """Follow-ups ("and how does it compare...") borrow the previous question's subject."""
        if not history:
            return question
        return f"{history[-1].question} {question}"

    def stream(
        self,
        question: str,
        history: Sequence[Turn] | None = None,
        *,
        llm: str | None = None,
        k: int | None = None,
        doc_ids: Sequence[str] = (),
        kinds: Sequence[str] = (),
    ) -> Iterator[str | Answer]:
        """Text deltas as they are generated, then the checked ``Answer`` last."""
        started = time.perf_counter()
        question = self._validate(question)
        history = list(history or [])
        retrieved = self._retrieve(self.standalone_query(question, history), k, doc_ids, kinds, "hybrid")
        timings = {"retrieve": time.perf_counter() - started}
        sources = retrieved.sources
        if not self._grounded(question, retrieved):
            text = refusal(sources)
            yield text
            timings["generate"] = 0.0
            timings["first_token"] = time.perf_counter() - started
            timings["total"] = time.perf_counter() - started
            yield Answer(
                text=text, citations=[], sources=sources, grounded=False, backend="none",
                timings=timings, history=[*history, Turn(question, text)],
            )  # fmt: skip
            return
        backend, notes = self.llm(llm)
        notes = list(notes)
        composer = backend if isinstance(backend, Composer) else Composer()
        composition = composer.compose(
            question, sources, self.retriever.library(), retrieved.named, retrieved.lines, doc_ids, kinds
        )
        t0 = time.perf_counter()
        name = backend.name
        if isinstance(backend, Composer):
            checked = verify(composition.blocks, composition.sources, question)
            sources = composition.sources
            timings["first_token"] = time.perf_counter() - started
            yield checked.text
        else:
            parts: list[str] = []
            try:
                hint = render_blocks(composition.blocks)
                for delta in backend.stream(question, sources, history, hint=hint):
                    if not parts:
                        timings["first_token"] = time.perf_counter() - started
                    parts.append(delta)
                    yield delta
            except BackendUnavailable as exc:
                if llm == "ollama" or (llm is None and self.settings.llm == "ollama"):
                    raise
                notes.append(f"{backend.name} failed ({exc}); answered from the sources without an LLM.")
                parts = []
            checked = check("".join(parts).strip(), sources, question)
            if not checked.citations:
                # Nothing the model said could be traced to a source: answer from the sources themselves.
                if parts:
                    notes.append(
                        f"{backend.name} gave no supported sentence; answered from the sources without an LLM."
                    )
                checked = verify(composition.blocks, composition.sources, question)
                sources = composition.sources
                name = f"extractive (after {backend.name})"
                yield ("\n\n" if parts else "") + checked.text
        timings["generate"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - started
        timings.setdefault("first_token", timings["total"])
        yield Answer(
            text=checked.text, citations=checked.citations, sources=sources, grounded=True, backend=name,
            timings=timings, history=[*history, Turn(question, checked.text)],
            unsupported=checked.unsupported, notes=notes, blocks=checked.blocks,
        )  # fmt: skip

    def ask(self, question: str, history: Sequence[Turn] | None = None, **options: object) -> Answer:
        """The whole answer at once; see ``stream`` for the options."""
        final = None
        for event in self.stream(question, history, **options):  # type: ignore[arg-type]
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final


def _supporting(sources: list[Source], top: int = 3) -> list[Source]:
    return [s for n, s in enumerate(sources) if n < top or s.kind == Kind.PAPER_CARD]


def refusal(sources: list[Source]) -> str:
    topics = list(dict.fromkeys(section_leaf(s.section) or s.title for s in sources))[:3]
    nearest = f" The nearest topics it does cover: {'; '.join(topics)}." if topics else ""
    return f"The roadmap corpus does not cover this question, so I will not guess.{nearest}"
