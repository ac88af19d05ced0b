"""The Python API: `Assistant().retrieve / ask / stream`. The CLI, the app and the eval suite call this."""

from __future__ import annotations

import difflib
import re
import threading
import time
from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from roadmap_rag.answer.citations import Checked, StreamCheck, overlap, verify
from roadmap_rag.answer.compose import Composer, Composition
from roadmap_rag.answer.coverage import note, uncovered
from roadmap_rag.answer.generation import LLM, check_backend, make_llm
from roadmap_rag.answer.generation.base import Made, Truncated
from roadmap_rag.errors import BackendUnavailable, NothingIndexed, QuestionError, UnknownDocument
from roadmap_rag.index.embeddings import Embedder, make_embedder
from roadmap_rag.index.store import VectorStore, make_store
from roadmap_rag.learn.curriculum import Curriculum, TopicPath
from roadmap_rag.learn.outline import Outline, outlines
from roadmap_rag.learn.quiz import Grade, QuizItem, build_quiz, grade
from roadmap_rag.observe import tracing
from roadmap_rag.observe.querylog import Asked, observe
from roadmap_rag.observe.tracing import Trace
from roadmap_rag.retrieve.followups import Resolved, resolve
from roadmap_rag.retrieve.hybrid import Filters, HybridRetriever, Mode, Retrieved
from roadmap_rag.retrieve.library import Library
from roadmap_rag.retrieve.questions import is_everyday, plain, terms, topic_support, topic_terms
from roadmap_rag.settings import Settings
from roadmap_rag.text.words import acronyms
from roadmap_rag.types import (
    Answer,
    AnswerStream,
    Block,
    Kind,
    Place,
    Source,
    Timings,
    Turn,
    render_blocks,
    section_leaf,
)

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

# An LLM's token budget, in multiples of setting max_tokens, by the shape of the question: a list, a comparison or
# a learning path takes more words than a fact.
_BUDGET = {"fact": 2, "about": 3, "paper": 3, "list": 4, "compare": 5, "path": 5}
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
        self._llms: dict[str, Made] = {}
        self._lock = threading.Lock()
        self._curriculum: Curriculum | None = None
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
        retrieved = self.retriever.retrieve(question, k or self.settings.top_k, filters, mode)
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
            raise QuestionError(f"no kind of document is named {_listed(bad)}; the kinds are: {', '.join(Kind)}")
        if not ids and not kinds:
            return ids, kinds
        library = self.retriever.library()
        if not library.doc_ids() and self.store.count() == 0:
            raise NothingIndexed(self.settings.store_location)  # not "unknown": nothing is there yet
        if unknown := [d for d in dict.fromkeys(ids) if d not in library]:
            near = difflib.get_close_matches(unknown[0], library.doc_ids(), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise UnknownDocument(
                f"no indexed document has the id {_listed(unknown)}{hint}; `roadmap-rag status` lists the "
                f"{len(library.doc_ids())} indexed documents' ids (so does GET /status over HTTP), and every "
                "retrieved source carries its doc_id"
            )
        if kinds and not any(library.kind(d) in kinds for d in ids or library.doc_ids()):
            held = Counter(library.kind(d) for d in library.doc_ids())
            among = f"none of {_listed(ids)} is" if ids else "no indexed document is"
            index = ", ".join(f"{n} {kind}" for kind, n in sorted(held.items())) or "nothing"
            raise QuestionError(
                f"{among} of the kinds {_listed(kinds)}, so nothing could answer; the index holds {index}"
            )
        return ids, kinds

    # -- answering ---------------------------------------------------------------------------
    def llm(self, choice: str | None = None) -> Made:
        key = choice or self.settings.llm
        with self._lock:
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
        named, rest = self.retriever.named_documents(question)
        if named and any(s.doc_id in named for s in retrieved.sources) and self._about_itself(rest):
            return True  # about the named roadmap itself: "how long does the getting-started guide take?"
        supporting = _supporting(retrieved.sources)
        support = max(overlap(question, f"{s.title} {s.section} {s.text}") for s in supporting)
        topic = topic_support(rest, supporting)
        return retrieved.best_passage >= _WEAK_PASSAGE and (support >= _LEXICAL_SUPPORT or topic > _LEXICAL_SUPPORT)

    def _about_itself(self, rest: str) -> bool:
        """A question that names a roadmap and, that name set aside, only everyday words the corpus uses ("how
        long does ... take", "after i finish ... what next"): it asks about the roadmap itself. "what does the
        curriculum say about baking bread" names a subject the corpus never uses."""
        vocabulary = self.retriever.library().vocabulary(terms)
        topic = set(topic_terms(rest))
        words = [w for w in re.findall(r"[a-z]{3,}", rest.lower()) if topic & set(terms(w))]
        return topic <= vocabulary.keys() and all(is_everyday(w) for w in words)

    def _names(self) -> dict[str, str]:
        """Each roadmap's names, lower case, to its id: how an answer attributes a claim to a roadmap (made once
        per state of the index)."""
        library = self.retriever.library()
        with self._lock:
            if self._roadmap_names is None or self._roadmap_names[0] is not library:
                self._roadmap_names = (library, _roadmap_names(library))
            return self._roadmap_names[1]

    def _uncovered(self, question: str, sources: list[Source]) -> list[str]:
        """What the question asks that none of the answer's sources holds (coverage.uncovered)."""
        return uncovered(question, sources, self.retriever.library().vocabulary(terms))

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

    def next_steps(self, done: set[tuple[str, str]], n: int = 2) -> list[Place]:
        """What to study next: each roadmap's next ``n`` main sections that ``done`` (roadmap id, section)
        does not cover, in the roadmap's order, roadmaps in progress first."""
        return self.curriculum().next_steps(done, n)

    def quiz(self, topic: str, n: int = 5, seed: int | None = None) -> list[QuizItem]:
        """Up to ``n`` self-check questions on ``topic``, built from the roadmaps' lists, definitions and
        order and from the paper catalog; each expected answer comes from the passage it cites. A retry with
        the next ``seed`` draws other items where there are more; the same seed, the same items."""
        return build_quiz(self.curriculum(), self._validate(topic), n, seed)

    @staticmethod
    def grade(item: QuizItem, answer: str) -> Grade:
        """A learner's answer to ``item``, scored by the key facts it states (partial credit for lists)."""
        return grade(item, answer)

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
        request = _Request(asked, turns, llm, k, doc_ids, kinds, resolved.question)
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

    def _answer(self, request: _Request) -> Generator[str, None, Answer]:
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

    def _record(
        self, trace: Trace, request: _Request, answer: Answer | None, error: BaseException | str | None
    ) -> None:
        requested = {
            "llm": request.llm or self.settings.llm,
            "k": request.k or self.settings.top_k,
            "doc_ids": list(request.doc_ids),
            "kinds": list(request.kinds),
            "turn": len(request.history) + 1,
        }
        asked = Asked(trace, request.question, request.standalone, requested, answer, error)
        observe(self.settings, asked, self.tracer_provider)

    def _answered(self, request: _Request, trace: Trace) -> Generator[str, None, Answer]:
        clock = _Clock()
        question = request.standalone  # a follow-up is answered as the standalone question it stands for
        with tracing.active(trace), trace.stage("retrieve"):
            retrieved = self._retrieve(question, request.k, request.doc_ids, request.kinds, "hybrid")
        clock.timings.retrieve = clock.now()
        if not self._grounded(question, retrieved):
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
        missing = self._uncovered(question, composition.sources)
        if isinstance(backend, Composer):
            with trace.stage("verify"):
                checked = _noted(
                    verify(composition.blocks, composition.sources, question, names=self._names()), missing
                )
            clock.first_token()
            yield checked.text
            sources, name = composition.sources, backend.name
        else:
            notes = list(notes)
            checked, sources, name = yield from self._generate(backend, request, composition, clock, notes, trace)
            checked = _noted(checked, missing)
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
            places=self.places(_in_reading_order(checked)),
            timings=clock.done(),
            uncovered=missing,
        )

    def _generate(
        self,
        backend: LLM,
        request: _Request,
        composition: Composition,
        clock: _Clock,
        notes: list[str],
        trace: Trace,
    ) -> Generator[str, None, tuple[Checked, list[Source], str]]:
        """An LLM's answer, checked claim by claim as it streams: the learner sees each statement once it is
        checked, never the model's unchecked text; the composer's answer when nothing the model wrote is supported."""
        question, sources = request.standalone, composition.sources
        streaming = StreamCheck(sources, question, self._names())
        truncated = False
        budget = self.settings.max_tokens * _BUDGET.get(composition.shape, _BUDGET["fact"])
        with trace.stage("generate", backend=backend.name, budget=budget):
            try:
                hint = render_blocks(composition.blocks)
                for delta in backend.stream(question, sources, request.history, hint=hint, budget=budget):
                    truncated = truncated or isinstance(delta, Truncated)
                    shown = streaming.feed(delta)
                    if shown:
                        clock.first_token()
                        yield shown
            except BackendUnavailable as exc:
                if (request.llm or self.settings.llm) == "ollama":
                    raise
                notes.append(f"{backend.name} failed ({exc}); answered from the sources without an LLM.")
                streaming = StreamCheck(sources, question, self._names())
        with trace.stage("verify"):
            checked, rest = streaming.finish(truncated)
        if truncated:
            notes.append(
                f"{backend.name} reached its length limit ({budget} tokens), so its answer ends at its last complete "
                "sentence; ask for less at once, or raise ROADMAP_RAG_MAX_TOKENS."
            )
        if checked.citations:
            if rest:
                clock.first_token()
                yield rest
            return checked, sources, backend.name
        # Nothing the model said could be traced to a source: answer from the sources themselves.
        if streaming.text.strip():
            notes.append(f"{backend.name} gave no supported sentence; answered from the sources without an LLM.")
        with trace.stage("verify", fallback=True):
            checked = verify(composition.blocks, composition.sources, question, names=self._names())
        clock.first_token()
        yield ("\n\n" if streaming.shown else "") + checked.text
        return checked, composition.sources, f"extractive (after {backend.name})"


@dataclass(frozen=True)
class _Request:
    """One question as ``stream`` received it, checked."""

    question: str
    history: list[Turn]
    llm: str | None
    k: int | None
    doc_ids: tuple[str, ...]
    kinds: tuple[str, ...]
    standalone: str  # the question answered: the question itself unless it is a follow-up

    def answer(self, text: str, **fields: Any) -> Answer:
        """The Answer to this request, its history extended by this turn (and where its answer sits)."""
        places: list[Place] = fields.get("places") or []
        first = next((p for p in places if p.section), None)
        turn = Turn(self.question, text, first.section if first else "", first.roadmap if first else "")
        standalone = self.standalone if self.standalone != self.question else ""
        return Answer(text=text, history=[*self.history, turn], standalone=standalone, **fields)


class _Clock:
    """Seconds since the question arrived, recorded into Timings."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.timings = Timings()

    def now(self) -> float:
        return time.perf_counter() - self.started

    def first_token(self) -> None:
        """The first text is ready (the earliest call counts)."""
        self.timings.first_token = self.timings.first_token or self.now()

    def done(self) -> Timings:
        self.timings.total = self.now()
        self.timings.first_token = self.timings.first_token or self.timings.total
        return self.timings


def _in_reading_order(checked: Checked) -> list[Source]:
    """The cited sources in the order the answer's statements first cite them."""
    by_number = {c.number: c.source for c in checked.citations}
    statements = (s for b in checked.blocks for s in ((b.lead,) if b.lead else ()) + b.statements)
    numbers = dict.fromkeys(n for statement in statements for n in statement.citations)
    return [by_number[n] for n in numbers if n in by_number]


def _noted(checked: Checked, missing: list[str]) -> Checked:
    """The checked answer, opening with what its sources do not cover (a note of ours, citing nothing)."""
    if not missing:
        return checked
    blocks = [Block("note", title=note(missing)), *checked.blocks]
    return replace(checked, text=render_blocks(blocks), blocks=blocks)


def _roadmap_names(library: Library) -> dict[str, str]:
    """Each roadmap's names: its aliases, short title, title, and title with the acronym it defines."""
    names: dict[str, str] = {}
    for doc_id in library.doc_ids(Kind.ROADMAP):
        view = library.view(doc_id)
        short = view.title  # "Large Language Models (LLM) Roadmap" is also "LLM Roadmap"
        for acronym, long in acronyms(view.title).items():
            short = re.sub(rf"{re.escape(long)}\s*\({re.escape(acronym)}s?\)", acronym, short)
        for name in (*view.aliases, view.short_title.removeprefix("the "), view.title, short):
            names.setdefault(name.casefold(), doc_id)
    return names


def _listed(values: Sequence[str], most: int = 5) -> str:
    """Values as a message names them: quoted, escaped (a control character or a lone surrogate shows as
    its escape), each cut to 60 characters, at most ``most`` of them."""
    shown = ", ".join(repr(v[:60] + ("..." if len(v) > 60 else "")) for v in values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


def _supporting(sources: list[Source], top: int = 3) -> list[Source]:
    return [s for n, s in enumerate(sources) if n < top or s.kind == Kind.PAPER_CARD]


def refusal(sources: list[Source]) -> str:
    topics = list(dict.fromkeys(section_leaf(s.section) or s.title for s in sources))[:3]
    nearest = f" The nearest topics it does cover: {'; '.join(topics)}." if topics else ""
    return f"The roadmap corpus does not cover this question, so I will not guess.{nearest}"
