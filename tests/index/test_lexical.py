"""The persistent lexical index: bm25s' scores from disk, updated with the store, never stale, repaired."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from pathlib import Path

import bm25s
import pytest

from roadmap_rag import Assistant, Settings
from roadmap_rag.corpus.chunking import Chunk
from roadmap_rag.evaluation import load_dataset
from roadmap_rag.index.chroma_server import ChromaServer, free_port
from roadmap_rag.index.embeddings import Embedder, embedding_space
from roadmap_rag.index.ingest import ingest
from roadmap_rag.index.lexical import (
    _TOKEN_PATTERN,
    Lexical,
    _stemmer,
    documents_of,
    query_tokens,
    reconcile,
    signature,
)
from roadmap_rag.index.records import chunk_record
from roadmap_rag.index.state import index_status
from roadmap_rag.index.store import ChromaStore, VectorStore
from roadmap_rag.retrieve.scope import Filters
from roadmap_rag.types import Kind
from tests.conftest import CORPUS, REPO
from tests.fakes import HashingEmbedder, MemoryStore
from tests.index.test_ingest import cli_env, run_cli

FakeIndex = tuple[Settings, HashingEmbedder, MemoryStore]


def in_step(settings: Settings, store: VectorStore) -> bool:
    """The lexical index holds exactly the store's chunks, each with its current record."""
    held = Lexical(settings.lexical_dir).signatures()
    return held == {cid: signature(chunk_record(c)) for cid, c in store.records().items()}


@pytest.mark.fast
def test_fast_scores_are_bm25s_scores(fake_index: FakeIndex) -> None:
    """The in-memory bm25s index it replaces, built here as llama-index builds it: the same chunks, the same
    order, the same scores, for every golden-set question."""
    settings, _, store = fake_index
    chunks = store.all_chunks()
    reference = bm25s.BM25()
    texts = [c.embedding_text() for c in chunks]
    reference.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), token_pattern=_TOKEN_PATTERN, show_progress=False),
        show_progress=False,
    )
    lexical = Lexical(settings.lexical_dir)
    questions = [i.question for i in load_dataset(REPO / "eval/datasets/roadmap_qa.jsonl")][:60]
    for question in questions:
        tokens = bm25s.tokenize(question, stemmer=_stemmer(), token_pattern=_TOKEN_PATTERN, show_progress=False)
        ids, scores = reference.retrieve(tokens, k=10, show_progress=False)
        want = [(chunks[int(i)].id, float(s)) for i, s in zip(ids[0], scores[0], strict=True) if s > 0]
        got = lexical.search("chunks", question, 10)
        assert [c.id for c, _ in got] == [cid for cid, _ in want], question
        assert [round(s, 3) for _, s in got] == [round(s, 3) for _, s in want], question


@pytest.mark.fast
def test_fast_a_write_is_invisible_until_committed_and_filters_run_in_the_index(
    fake_index: FakeIndex, tmp_path: Path
) -> None:
    _, _, store = fake_index
    lexical = Lexical(tmp_path / "lexical")
    chunks = store.all_chunks()
    with lexical.writing() as write:
        write.add(chunks)
        assert lexical.search("chunks", "LoRA low-rank adaptation", 5) == []  # not committed yet
        write.documents = documents_of(chunks)
        write.commit("g1")
    assert lexical.generation == "g1" and set(lexical.documents()) == {c.doc_id for c in chunks}
    best = lexical.search("chunks", "LoRA low-rank adaptation", 5)
    assert best and "LoRA" in best[0][0].text and best[0][0] == next(c for c in chunks if c.id == best[0][0].id)
    only = lexical.search("chunks", "LoRA", 20, doc_ids=("comprehensive-llm-curriculum",))
    assert only and {c.doc_id for c, _ in only} == {"comprehensive-llm-curriculum"}
    cards = lexical.search("roadmaps", "LoRA", 20, kinds=("paper-card",))
    assert cards and {c.kind for c, _ in cards} == {"paper-card"}

    with pytest.raises(RuntimeError), lexical.writing() as write:  # a write that fails midway
        write.delete(c.id for c in chunks)
        raise RuntimeError("killed")
    assert lexical.search("chunks", "LoRA low-rank adaptation", 5)  # the last commit stands
    with lexical.writing() as write:
        write.delete([best[0][0].id])
        write.commit("g2")
    assert best[0][0].id not in {c.id for c, _ in lexical.search("chunks", "LoRA low-rank adaptation", 20)}


@pytest.mark.fast
def test_fast_a_document_is_read_from_the_index_as_the_store_holds_it(fake_index: FakeIndex, tmp_path: Path) -> None:
    """The composer reads whole documents; the store's filtered read scans every record (seconds at a million
    chunks), the lexical index looks the document up."""
    _, _, store = fake_index
    lexical = Lexical(tmp_path / "lexical")
    chunks = store.all_chunks()
    with lexical.writing() as write:
        write.add(chunks)
        write.documents = documents_of(chunks)
        write.commit("g1")
    for doc_id in {c.doc_id for c in chunks}:
        assert lexical.document_chunks(doc_id) == sorted(store.document_chunks(doc_id), key=lambda c: c.ordinal)
    assert lexical.document_chunks("no-such-document") == []
    gone = store.document_chunks("core-llm-roadmap")[0]
    with lexical.writing() as write:
        write.delete([gone.id])
        write.commit("g2")
    assert gone not in lexical.document_chunks("core-llm-roadmap")


@pytest.mark.fast
def test_fast_reconcile_repairs_what_a_crash_left(fake_index: FakeIndex, tmp_path: Path) -> None:
    _, _, store = fake_index
    lexical = Lexical(tmp_path / "lexical")
    chunks = store.all_chunks()
    with lexical.writing() as write:  # an index that lags: half the chunks, one stale record, one extra
        write.add(chunks[: len(chunks) // 2])
        write.add([replace(chunks[3], section="Somewhere else"), replace(chunks[0], id="gone:1")])
        write.commit("old")
    with lexical.writing() as write:
        touched = reconcile(store, write, "new")
    assert touched == len(chunks) - len(chunks) // 2 + 2
    assert lexical.generation == "new"
    assert lexical.signatures() == {cid: signature(chunk_record(c)) for cid, c in store.records().items()}
    with lexical.writing() as write:
        assert reconcile(store, write, "new") == 0


@pytest.mark.parametrize("where", ["embedded, re-ingest in the app's process", "server, ingest by another process"])
def test_an_edit_that_keeps_the_count_is_seen_by_a_running_assistant(
    where: str, make_settings, corpus_copy: Path, embedder: Embedder, tmp_path: Path
) -> None:
    """The old in-memory BM25 was rebuilt when the chunk count changed: an edit that kept the count left a
    running app with stale text. Now every ingest that writes changes the store's generation."""
    with contextlib.ExitStack() as stack:
        settings = make_settings(corpus_dir=corpus_copy, llm="extractive")
        if where.startswith("server"):  # processes share an index through a Chroma server (pitfalls: #7040)
            server = stack.enter_context(ChromaServer(tmp_path / "server", free_port()))
            settings = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": server.port})
        ingest(settings, embedder=embedder)
        running = Assistant(settings, embedder=embedder)
        assert not running.retriever.lexical("Zyzzyva Transformers", 5, Filters())[0][0].text.count("Zyzzyva")
        count = running.store.count()

        path = corpus_copy / "roadmaps" / "core-llm-roadmap.md"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("Transformers", "Zyzzyva Transformers", 1), encoding="utf-8")
        if where.startswith("server"):
            env = cli_env(settings.data_dir, corpus_copy)
            env |= {"ROADMAP_RAG_CHROMA_HOST": "127.0.0.1", "ROADMAP_RAG_CHROMA_PORT": str(settings.chroma_port)}
            done = run_cli("ingest", env=env, cwd=tmp_path)
            assert done.returncode == 0, done.stderr
        else:
            assert ingest(settings, embedder=embedder).added > 0
        assert running.store.count() == count  # the same number of chunks: the edit kept the count

        hits = running.retriever.lexical("Zyzzyva", 5, Filters())
        assert hits and "Zyzzyva" in hits[0][0].text  # the running assistant reads the new text
        answer = running.ask("What does the core roadmap say about Zyzzyva Transformers?")
        assert any("Zyzzyva" in s.text for s in answer.sources)
        assert in_step(settings, running.store)


def test_a_lagging_lexical_index_is_served_by_the_reader_and_repaired_by_the_next_ingest(
    make_settings, corpus_copy: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 29: a reader that repaired the lexical index from a snapshot taken while an ingest was deleting
    documents committed that snapshot under the ingest's generation, and every question failed for good.
    Readers never write now: they serve the last commit, warn, and the next ingest (one writer) repairs."""
    settings = make_settings(corpus_dir=corpus_copy, llm="extractive")
    ingest(settings, embedder=embedder)
    store = ChromaStore(settings, embedder.name)
    store.set_generation("from-another-machine")  # as an ingest elsewhere against a shared Chroma server
    lexical = Lexical(settings.lexical_dir)
    with lexical.writing() as write:  # ... which this machine's lexical index never saw
        write.delete(list(store.records())[:20])
        write.commit("stale")
    signatures = lexical.signatures()
    assistant = Assistant(settings, embedder=embedder)
    with caplog.at_level(logging.WARNING):
        assert assistant.ask("What is LoRA?").grounded
        assert assistant.ask("What does the curriculum say about quantization?").grounded
    assert "behind the store" in caplog.text and "roadmap-rag ingest" in caplog.text
    assert Lexical(settings.lexical_dir).signatures() == signatures  # the reader wrote nothing
    assert Lexical(settings.lexical_dir).generation == "stale"
    assert ingest(settings, embedder=embedder).lexical_repaired == 20
    assert in_step(settings, store) and Lexical(settings.lexical_dir).generation == "from-another-machine"
    assert assistant.ask("What is LoRA?").grounded  # and the reader follows


def test_cold_start_reads_the_registry_not_every_chunk(
    make_settings, corpus_copy: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(corpus_dir=corpus_copy, llm="extractive")
    ingest(settings, embedder=embedder)

    def forbidden(self: ChromaStore, *args: object) -> None:
        raise AssertionError("a question read every chunk")

    monkeypatch.setattr(ChromaStore, "all_chunks", forbidden)
    monkeypatch.setattr(ChromaStore, "records", forbidden)
    monkeypatch.setattr(ChromaStore, "document_chunks", forbidden)  # a filtered scan of every record
    reads: list[object] = []
    vectors = ChromaStore.vectors
    monkeypatch.setattr(ChromaStore, "vectors", lambda self, where: reads.append(where) or vectors(self, where))
    assistant = Assistant(settings, embedder=embedder)
    for question in (
        "What does the curriculum say about LoRA?",
        "what even is an llm",
        "What does the complete roadmap say about RLHF?",
        "Which tools does the 14-day guide use?",
    ):
        answer = assistant.ask(question)
        assert answer.grounded and answer.citations, question
    assert reads == []  # the roadmaps' and cards' vectors come from the file ingest saved; each named one is cut


@pytest.mark.fast
def test_fast_local_statistics_weigh_a_word_by_the_selected_documents(tmp_path: Path) -> None:
    """A paper's name is in every chunk of that paper and rare in the index: scored with the whole index's
    statistics it decides the ranking; with the paper's own (``local``) it weighs nothing, and the question's
    other words decide."""

    def chunk(n: int, doc_id: str, text: str) -> Chunk:
        return Chunk(f"{doc_id}:{n}", doc_id, doc_id, Kind.PAPER, "Body", text, 0, len(text), n)

    paper = [
        chunk(0, "paper-zeb", "Zebranet zebranet zebranet trains zebranet models on zebranet data."),
        chunk(1, "paper-zeb", "Zebranet initializes its matrices with a random Gaussian."),
        chunk(2, "paper-zeb", "Zebranet zebranet results on zebranet benchmarks."),
    ]
    others = [chunk(n, "paper-other", f"Work {n} initializes its matrices for its networks.") for n in range(40)]
    lexical = Lexical(tmp_path / "lexical")
    with lexical.writing() as write:
        write.add(paper + others)
        write.documents = documents_of(paper + others)
        write.commit("g1")
    question = "How does Zebranet initialize its matrices?"
    whole = lexical.search("chunks", question, 3, doc_ids=("paper-zeb",))
    local = lexical.search("chunks", question, 3, doc_ids=("paper-zeb",), local=True)
    assert whole[0][0].id == "paper-zeb:0"  # the name, four times
    assert local[0][0].id == "paper-zeb:1"  # the question's other words
    assert lexical.search("chunks", question, 3, doc_ids=("paper-zeb",)) == whole  # each scope cached apart


def test_query_tokens_keep_repeats() -> None:
    assert query_tokens("LoRA, LoRA and adapters") == ["lora", "lora", "adapt"]  # stemmed, repeats kept


def test_the_cli_ingest_reports_a_repair(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data", CORPUS)
    assert run_cli("ingest", env=env, cwd=tmp_path).returncode == 0
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS)
    ChromaStore(settings, embedding_space(settings)).set_generation("elsewhere")
    done = run_cli("ingest", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 0 and '"lexical_repaired": 0' in done.stdout  # generations differed, nothing lagged
    assert Lexical(settings.lexical_dir).generation == "elsewhere"


def test_a_chroma_server_without_sparse_indexes_falls_back_to_the_local_index(
    make_settings, corpus_copy: Path, embedder: Embedder, tmp_path: Path
) -> None:
    """`chroma run` refuses sparse (BM25) indexes, as the embedded store does: the local index serves."""
    with ChromaServer(tmp_path / "server", free_port()) as server:
        settings = make_settings(
            corpus_dir=corpus_copy, llm="extractive", chroma_host="127.0.0.1", chroma_port=server.port
        )
        ingest(settings, embedder=embedder)
        store = ChromaStore(settings, embedder.name)
        sparse, reason = store.sparse_search()
        assert not sparse and "Sparse vector indexing is not enabled" in reason
        assert not [c for c in store._client.list_collections() if c.name.endswith("-sparse-probe")]  # no litter
        status = index_status(settings)
        assert status.lexical.startswith(f"local tantivy index at {settings.lexical_dir}")
        assert "server-side BM25 is not available: " in status.lexical
        assistant = Assistant(settings, embedder=embedder)
        hits = assistant.retriever.lexical("Mixture of Experts", 5, Filters())
        assert hits and "Mixture of Experts" in hits[0][0].text
        answer = assistant.ask("Which resources does the roadmap give for Mixture of Experts?")
        assert answer.grounded and answer.citations
