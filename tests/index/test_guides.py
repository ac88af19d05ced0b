"""The roadmaps' and cards' vectors saved with each commit, and the first questions while the store's vector
index is still loading."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from roadmap_rag import Assistant, Settings
from roadmap_rag.index.guides import FILE, GUIDES_WHERE, load_guides, save_guides
from roadmap_rag.index.lexical import Lexical
from roadmap_rag.index.slices import Slice
from roadmap_rag.index.store import VectorStore
from roadmap_rag.retrieve.hybrid import HybridRetriever
from roadmap_rag.retrieve.scope import Filters
from tests.fakes import HashingEmbedder, MemoryStore

FakeIndex = tuple[Settings, HashingEmbedder, MemoryStore]


@pytest.mark.fast
def test_fast_ingest_saves_the_roadmaps_and_cards_as_the_store_holds_them(fake_index: FakeIndex) -> None:
    settings, _, store = fake_index
    generation = Lexical(settings.lexical_dir).generation
    saved = load_guides(settings.lexical_dir, generation)
    held = store.vectors(GUIDES_WHERE)
    assert (
        saved is not None
        and saved.chunks == held.chunks
        and {c.kind for c in saved.chunks}
        == {
            "roadmap",
            "paper-card",
        }
    )
    assert np.allclose(saved.chunk_vectors, held.chunk_vectors)
    assert saved.owners == held.owners and saved.texts == held.texts
    assert np.allclose(saved.passage_vectors, held.passage_vectors)
    assert load_guides(settings.lexical_dir, "another-generation") is None  # an ingest since: the store is read


@pytest.mark.fast
def test_fast_a_damaged_file_is_ignored_with_a_warning(
    fake_index: FakeIndex, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, _, store = fake_index
    assert save_guides(tmp_path, "g1", store) > 100
    (tmp_path / FILE).write_bytes((tmp_path / FILE).read_bytes()[:500])  # a disk that filled up mid-write
    assert load_guides(tmp_path, "g1") is None
    assert FILE in caplog.text and "read from the store" in caplog.text


class LoadingStore:
    """The store while an embedded Chroma is still reading its vector index: every whole-index search waits
    for ``loaded``; everything else is the real store's."""

    def __init__(self, store: VectorStore) -> None:
        self._store = store
        self.loaded = threading.Event()
        self.searches = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def query(self, *args: object, **kwargs: object) -> object:
        self.searches += 1
        self.loaded.wait()
        return self._store.query(*args, **kwargs)  # type: ignore[arg-type]

    def query_passages(self, *args: object, **kwargs: object) -> object:
        self.searches += 1
        self.loaded.wait()
        return self._store.query_passages(*args, **kwargs)  # type: ignore[arg-type]


def test_the_first_question_does_not_wait_for_the_vector_index_when_the_roadmaps_answer_it(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    sliced = HybridRetriever._slice  # an index too large to search in memory: Chroma's index serves it

    def large(self: HybridRetriever, filters: Filters) -> Slice | None:
        return sliced(self, filters) if filters.doc_ids or filters.kinds else None

    monkeypatch.setattr(HybridRetriever, "_slice", large)
    settings = assistant.settings.model_copy(update={"warm_wait_s": 0.05})
    loading = LoadingStore(assistant.store)
    retriever = HybridRetriever(settings, loading, assistant.embedder)  # type: ignore[arg-type]
    retriever.warm()
    safety = threading.Timer(30, loading.loaded.set)  # a regression waits for the index: fail, do not hang
    safety.start()
    retrieved = retriever.retrieve("What does LoRA change in a model when fine-tuning?", 5)
    safety.cancel()
    assert not loading.loaded.is_set(), "the first question waited for the whole vector index"
    assert retrieved.sources and {s.kind for s in retrieved.sources} <= {"roadmap", "paper-card"}
    assert any("LoRA" in s.text for s in retrieved.sources), [s.label() for s in retrieved.sources]

    # Off the roadmaps: waits for the index (a refusal because it is still loading would be wrong)
    threading.Timer(0.3, loading.loaded.set).start()
    before = loading.searches
    off = retriever.retrieve("What is the capital of Australia?", 5)
    assert loading.loaded.is_set() and loading.searches > before
    warm = HybridRetriever(settings, assistant.store, assistant.embedder).retrieve(
        "What is the capital of Australia?", 5
    )
    assert [s.id for s in off.sources] == [s.id for s in warm.sources]
