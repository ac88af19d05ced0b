"""The Python API: `Assistant().retrieve / ask / stream`. The CLI, the app and the eval suite call this."""

from __future__ import annotations

import difflib
import re
import threading
from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from roadmap_rag.answer.citations import verify
from roadmap_rag.answer.compose import Composer
from roadmap_rag.answer.coverage import uncovered
from roadmap_rag.answer.generation import check_backend, make_llm
from roadmap_rag.answer.generation.base import Made
from roadmap_rag.answer.grounding import grounded, refusal
from roadmap_rag.asking import Clock, Request, by_statement, generate, in_reading_order, listed, noted, roadmap_names
from roadmap_rag.errors import NothingIndexed, QuestionError, UnknownDocument
from roadmap_rag.index.embeddings import Embedder, make_embedder
from roadmap_rag.index.store import VectorStore, make_store
from roadmap_rag.learn.cards import Card
from roadmap_rag.learn.curriculum import Curriculum, TopicPath
from roadmap_rag.learn.glossary import GlossaryEntry
from roadmap_rag.learn.outline import Outline, outlines
from roadmap_rag.observe import tracing
from roadmap_rag.observe.querylog import Asked, observe
from roadmap_rag.observe.tracing import Trace
from roadmap_rag.retrieve.followups import Resolved, question_parts, resolve
from roadmap_rag.retrieve.hybrid import HybridRetriever, Mode
from roadmap_rag.retrieve.library import Library
from roadmap_rag.retrieve.questions import (
    is_everyday,
    plain,
    split_ask,
    terms,
    topic_terms,
    what_is_asked,
)
from roadmap_rag.retrieve.scope import Filters, Retrieved
from roadmap_rag.settings import Settings
from roadmap_rag.studying import Studying
from roadmap_rag.types import Answer, AnswerStream, Kind, Place, Source, Turn, section_leaf

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider


# A word as a learner types it: "pytorch", "gpt-4", "c++", "c#".
_WORDS = re.compile(r"[A-Za-z][\w+#.-]*[\w+#]|[A-Za-z]")


class Assistant(Studying):
    """Thread-safe: one instance can serve the app's sessions and the eval suite at once."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        store: VectorStore | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        """``tracer_provider`` receives each ask's spans (default: setting otel_endpoint, else the process's
        global OpenTelemetry provider, if one is set)."""
        self.settings = settings or Settings()
        check_backend(self.settings.llm)  # a typo in ROADMAP_RAG_LLM fails here, before any model loads
        self.tracer_provider = tracer_provider
        self.embedder = embedder or make_embedder(self.settings)
        self.store = store or make_store(self.settings, self.embedder.name)
        self.retriever = HybridRetriever(self.settings, self.store, self.embedder)
        self.retriever.warm()  # the vector index loads while the first question is typed and embedded
        self._llms: dict[str, Made] = {}
        self._lock = threading.Lock()
        self._curriculum: Curriculum | None = None
        self._glossary: tuple[Library, list[GlossaryEntry]] | None = None
        self._cards: tuple[Library, list[Card]] | None = None
        self._roadmap_names: tuple[Library, dict[str, str]] | None = None

    # -- retrieval ---------------------------------------------------------------------------
    def _validate(self, question: str) -> str:
        question = plain(question).strip()
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
        # "whats prompt engineering and where do i learn it": each ask retrieves its own sources
        parts = [self.retriever.retrieve(p, k or self.settings.top_k, filters, mode) for p in question_parts(question)]
        retrieved = parts[0] if len(parts) == 1 else _together(parts)
        if not retrieved.sources and self.store.count() == 0:  # not "not covered": nothing is there to cover it
            raise NothingIndexed(self.settings.store_location)
        return retrieved

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
        question = self._validate(question)
        return self._retrieve(question, k, *self._filters(doc_ids, kinds), mode).sources

    def _filters(self, doc_ids: Sequence[str], kinds: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The filters, checked: each kind is a Kind, each id an indexed document's, and together they select
        some indexed document (QuestionError, or UnknownDocument, naming what is not)."""
        ids, kinds = ((doc_ids,) if isinstance(doc_ids, str) else tuple(doc_ids)), tuple(kinds)
        if bad := [k for k in kinds if k not in set(Kind)]:
            raise QuestionError(f"no kind of document is named {listed(bad)}; the kinds are: {', '.join(Kind)}")
        if not ids and not kinds:
            return ids, kinds
        library = self.retriever.library()
        if not library.doc_ids() and self.store.count() == 0:
            raise NothingIndexed(self.settings.store_location)  # not "unknown": nothing is there yet
        if unknown := [d for d in dict.fromkeys(ids) if d not in library]:
            near = difflib.get_close_matches(unknown[0], library.doc_ids(), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise UnknownDocument(
                f"no indexed document has the id {listed(unknown)}{hint}; `roadmap-rag status` lists the "
                f"{len(library.doc_ids())} indexed documents' ids (so does GET /status over HTTP), and every "
                "retrieved source carries its doc_id"
            )
        if kinds and not any(library.kind(d) in kinds for d in ids or library.doc_ids()):
            held = Counter(library.kind(d) for d in library.doc_ids())
            among = f"none of {listed(ids)} is" if ids else "no indexed document is"
            index = ", ".join(f"{n} {kind}" for kind, n in sorted(held.items())) or "nothing"
            raise QuestionError(
                f"{among} of the kinds {listed(kinds)}, so nothing could answer; the index holds {index}"
            )
        return ids, kinds

    # -- answering ---------------------------------------------------------------------------
    def llm(self, choice: str | None = None) -> Made:
        key = choice or self.settings.llm
        with self._lock:
            if key not in self._llms:
                self._llms[key] = make_llm(self.settings, key)
            return self._llms[key]

    def _names(self) -> dict[str, str]:
        """Each roadmap's names, lower case, to its id: how an answer attributes a claim to a roadmap (made once
        per state of the index)."""
        library = self.retriever.library()
        with self._lock:
            if self._roadmap_names is None or self._roadmap_names[0] is not library:
                self._roadmap_names = (library, roadmap_names(library))
            return self._roadmap_names[1]

    def _uncovered(self, question: str, sources: list[Source]) -> list[str]:
        """What the question asks that none of the answer's sources holds (coverage.uncovered)."""
        library = self.retriever.library()
        return uncovered(question, sources, library.vocabulary(terms), library.spellings())

    # -- the roadmaps as curricula --------------------------------------------------------------
    def curriculum(self) -> Curriculum:
        """The indexed roadmaps as ordered curricula; rebuilt when the index changes."""
        library = self.retriever.library()
        with self._lock:
            if self._curriculum is None or self._curriculum.library is not library:
                self._curriculum = Curriculum(library)
            return self._curriculum

    def roadmaps(self) -> dict[str, str]:
        """The indexed roadmaps: id -> title."""
        library = self.retriever.library()
        return {d: library.chunks(d)[0].doc_title for d in library.doc_ids(Kind.ROADMAP)}

    def outline(self, roadmap: str) -> Outline:
        """A roadmap's heading tree. ``roadmap`` is its id, its title, or a name a question would use
        ("the curriculum", "the 14-day roadmap")."""
        library, known = self.retriever.library(), self.roadmaps()
        wanted = roadmap.strip()
        named = [d for d in self.retriever.named_documents(wanted)[0] if d in known]
        by_title = [d for d, title in known.items() if title.casefold() == wanted.casefold()]
        found = [wanted] if wanted in known else by_title or named
        if not found:
            listed = "; ".join(f"{d} ({t})" for d, t in known.items()) or "none (run `roadmap-rag ingest`)"
            raise QuestionError(f"no indexed roadmap is named {roadmap!r}; the roadmaps are: {listed}")
        return outlines(library.chunks(found[0]))[0]

    def places(self, sources: Sequence[Source]) -> list[Place]:
        """Where the first of ``sources`` from each roadmap sits in that roadmap's order."""
        curriculum = self.curriculum()
        firsts = {s.doc_id: s for s in reversed(sources) if s.kind == Kind.ROADMAP}
        order = list(dict.fromkeys(s.doc_id for s in sources if s.doc_id in firsts))
        places = [curriculum.place(d, firsts[d].section) for d in order if d in curriculum.library]
        return [p for p in places if p.section or p.position]  # a roadmap without sections has no place to give

    def path(self, topic: str) -> TopicPath:
        """Where each roadmap places ``topic``, side by side: section, order, level, what comes before and
        after, the resources and papers it recommends, and where the roadmaps disagree."""
        topic = self._validate(topic)
        curriculum = self.curriculum()
        path = curriculum.path(topic)
        if path.covered or path.nearest:
            return path
        library = curriculum.library
        sources = [s for s in self.retrieve(topic, k=5) if s.section and s.doc_id in library]
        nearest = [f"{section_leaf(s.section)} ({library.view(s.doc_id).short_title})" for s in sources]
        return replace(path, nearest=tuple(dict.fromkeys(nearest))[:5])

    def next_steps(self, done: set[tuple[str, str]], n: int = 2, profile: str | None = None) -> list[Place]:
        """What to study next: each roadmap's next ``n`` main sections that ``done`` (roadmap id, section)
        does not cover, in the roadmap's order, roadmaps in progress first. With a ``profile``, the sections it
        has mastered from its answers are skipped too (``study_next`` adds the reviews due)."""
        if profile is None:
            return self.curriculum().next_steps(done, n)
        mastered = {(m.doc_id, m.section) for m in self.mastery(profile) if m.mastered}
        return self.curriculum().next_steps(done | mastered, n, after=done)

    def standalone_query(self, question: str, history: Sequence[Turn]) -> str:
        """The question as it will be answered: a follow-up ("and which papers cover it?") made standalone
        from the conversation; any other question as it stands, whatever came before (followups.resolve)."""
        return self._resolve(question, history).question

    def _resolve(self, question: str, history: Sequence[Turn]) -> Resolved:
        if not history:
            return Resolved(question, False)
        library = self.retriever.library()
        names = [alias for d in library.doc_ids(Kind.ROADMAP) for alias in library.view(d).aliases]
        return resolve(question, history, names, library.vocabulary(terms))

    def _asking(self, question: str) -> str:
        """The sentence that asks, after sentences of the learner's own ("java backend dev, 10 yrs, skimming the
        complete roadmap. which section sits right before ..."): what the sources must cover, so that "skimming"
        is not said to be missing from them. The whole question when that sentence has no subject of its own in
        the corpus (two of its words, or a term of art: not "which three?"). Retrieval and the answer read the
        whole question: on two splits written apart from the code, answering the sentence alone stated 0.013 more
        of the key facts on one and 0.026 fewer on the other (what a learner tells of themselves is context)."""
        told, ask = split_ask(question)
        if not told:
            return question
        vocabulary = self.retriever.library().vocabulary(terms)
        known = [
            w
            for w in _WORDS.findall(self.retriever.named_documents(ask)[1])
            if (t := topic_terms(w)) and t[0] in vocabulary
        ]
        if len({t for w in known for t in topic_terms(w)}) < 2 and all(is_everyday(w) for w in known):
            return question  # "he say three things cause it. which three?": the ask is about what was told
        return ask

    def stream(
        self,
        question: str,
        history: Sequence[Turn] | None = None,
        *,
        llm: str | None = None,
        k: int | None = None,
        doc_ids: Sequence[str] = (),
        kinds: Sequence[str] = (),
    ) -> AnswerStream:
        """The answer as it is written: iterate the result for text deltas, then read its ``.answer``.

        The question, the filters and the backend's name are checked now (QuestionError, UnknownDocument,
        ConfigError); retrieval and generation run as the stream is read.
        ``llm`` picks a backend by name (default: setting llm), ``k`` the number of sources, and
        ``doc_ids``/``kinds`` restrict what the answer may draw on.
        """
        asked = self._validate(question)
        doc_ids, kinds = self._filters(doc_ids, kinds)
        if llm:
            check_backend(llm)  # an unknown name is the caller's error now, not the stream's
        turns = [replace(t, question=plain(t.question), answer=plain(t.answer)) for t in history or []]
        resolved = self._resolve(asked, turns)
        request = Request(asked, turns, llm, k, doc_ids, kinds, what_is_asked(resolved.question))
        return AnswerStream(self._answer(request))

    def ask(
        self,
        question: str,
        history: Sequence[Turn] | None = None,
        *,
        llm: str | None = None,
        k: int | None = None,
        doc_ids: Sequence[str] = (),
        kinds: Sequence[str] = (),
    ) -> Answer:
        """The whole answer at once; the arguments are ``stream``'s."""
        return self.stream(question, history, llm=llm, k=k, doc_ids=doc_ids, kinds=kinds).answer

    def _answer(self, request: Request) -> Generator[str, None, Answer]:
        """The answer, traced: each stage's time and each lane's ranking go to the query log and to
        OpenTelemetry (when configured), whether the answer completes, fails or is abandoned."""
        trace = Trace()
        answer: Answer | None = None
        error: Exception | str | None = None
        try:
            answer = yield from self._answered(request, trace)
            return answer
        except GeneratorExit:
            error = "the answer's stream was closed before it was complete"
            raise
        except Exception as exc:
            error = exc
            raise
        finally:
            self._record(trace, request, answer, error)

    def _record(self, trace: Trace, request: Request, answer: Answer | None, error: BaseException | str | None) -> None:
        requested = {
            "llm": request.llm or self.settings.llm,
            "k": request.k or self.settings.top_k,
            "doc_ids": list(request.doc_ids),
            "kinds": list(request.kinds),
            "turn": len(request.history) + 1,
        }
        asked = Asked(trace, request.question, request.standalone, requested, answer, error)
        observe(self.settings, asked, self.tracer_provider)

    def _refused(
        self, request: Request, retrieved: Retrieved, trace: Trace, clock: Clock
    ) -> Generator[str, None, Answer]:
        """The corpus does not answer the question: said so, with the nearest topics it does cover."""
        text = refusal(retrieved.sources)
        clock.first_token()
        yield text
        return request.answer(
            text,
            id=trace.id,
            citations=[],
            sources=retrieved.sources,
            grounded=False,
            backend="none",
            timings=clock.done(),
        )

    def _answered(self, request: Request, trace: Trace) -> Generator[str, None, Answer]:
        clock = Clock()
        question = request.standalone  # a follow-up is answered as the standalone question it stands for
        with tracing.active(trace), trace.stage("retrieve"):
            retrieved = self._retrieve(question, request.k, request.doc_ids, request.kinds, "hybrid")
            covered = grounded(question, retrieved, self.retriever, self.settings)
            if not covered and (joined := _joined(request)):
                # A follow-up whose standalone question the sources do not answer ("how many months is last
                # stretch ..."): asked again with the turn it follows, as the learner meant it.
                again = self._retrieve(joined, request.k, request.doc_ids, request.kinds, "hybrid")
                covered = grounded(joined, again, self.retriever, self.settings)
                if covered:
                    question, retrieved, request = joined, again, replace(request, standalone=joined)
        clock.timings.retrieve = clock.now()
        if not covered:
            return (yield from self._refused(request, retrieved, trace, clock))
        backend, notes = self.llm(request.llm)
        is_composer = isinstance(backend, Composer)
        composer = backend if isinstance(backend, Composer) else Composer()
        with trace.stage("generate" if is_composer else "compose", backend=composer.name):
            composition = composer.compose(
                question,
                retrieved.sources,
                self.retriever.library(),
                retrieved.named,
                retrieved.lines,
                request.doc_ids,
                request.kinds,
                retrieved.cards_named,
            )
        generating = clock.now()
        missing = self._uncovered(self._asking(question), composition.sources)
        if isinstance(backend, Composer):
            with trace.stage("verify"):
                checked = noted(verify(composition.blocks, composition.sources, question, names=self._names()), missing)
            if not any(b.kind != "note" for b in checked.blocks):
                # Nothing in the sources states it (the composer found no unit to quote): said, never a blank answer.
                return (yield from self._refused(request, retrieved, trace, clock))
            yield from by_statement(checked.text, clock)
            sources, name = composition.sources, backend.name
        else:
            notes = list(notes)
            checked, sources, name = yield from generate(
                backend, request, composition, clock, notes, trace, self.settings, self._names
            )
            checked = noted(checked, missing)
        clock.timings.generate = clock.now() - generating
        return request.answer(
            checked.text,
            id=trace.id,
            citations=checked.citations,
            sources=sources,
            grounded=True,
            backend=name,
            unsupported=checked.unsupported,
            removed=checked.removed,
            notes=notes,
            blocks=checked.blocks,
            places=self.places(in_reading_order(checked)),
            timings=clock.done(),
            uncovered=missing,
        )


def _together(parts: Sequence[Retrieved]) -> Retrieved:
    """What each ask of a question retrieved, as one: the text sources in order of the asks (each once), then
    the paper cards likewise."""
    sources = list({s.id: s for r in parts for s in r.sources if s.kind != Kind.PAPER_CARD}.values())
    cards = list({s.id: s for r in parts for s in r.sources if s.kind == Kind.PAPER_CARD}.values())
    return Retrieved(
        sources + cards,
        max(r.best_passage for r in parts),
        tuple(dict.fromkeys(d for r in parts for d in r.named)),
        tuple(line for r in parts for line in r.lines),
        tuple(dict.fromkeys(c for r in parts for c in r.cards_named)),
    )


def _joined(request: Request) -> str:
    """A follow-up asked together with the question it follows ("the 14 day guy keeps mentioning his repo: whats
    it called ..."); "" for a question that stands alone."""
    if not request.history or request.standalone == request.question:
        return ""
    return f"{request.history[-1].question.rstrip(' ?.!')}: {request.question}"
