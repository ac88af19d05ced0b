"""Chunks follow the roadmaps' structure and always slice back to their text."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap_rag.corpus.chunking import Chunk, chunk_document, find_headings
from roadmap_rag.corpus.documents import Document, discover, iter_documents, load_manifest, normalise
from roadmap_rag.settings import Settings
from tests.conftest import CORPUS

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    settings = Settings()
    files, _ = discover([CORPUS], settings)
    return {d.id: d for d in iter_documents(files, settings, load_manifest(CORPUS))}  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def chunks(docs: dict[str, Document]) -> dict[str, list]:
    return {doc_id: chunk_document(doc, 600, 900) for doc_id, doc in docs.items()}


def _chunk_with(chunks: list, needle: str):
    return next(c for c in chunks if needle in c.text)


def test_offsets_slice_back_to_the_chunk_text(docs, chunks) -> None:
    for doc_id, doc_chunks in chunks.items():
        assert doc_chunks, doc_id
        for chunk in doc_chunks:
            assert docs[doc_id].text[chunk.start : chunk.end] == chunk.text


def test_numbered_headings_give_the_heading_path(chunks) -> None:
    moe = _chunk_with(chunks["complete-llm-roadmap"], "Resource: Switch Transformers")
    assert moe.section == "6. Advanced LLM Topics > 6.2 Scaling & Efficiency"
    lora = _chunk_with(chunks["complete-llm-roadmap"], "PEFT Methods (LoRA, Prefix tuning")
    assert lora.section == "5. Large Language Models > 5.3 Training Techniques"
    # A numbered list ("1. BERT (2018) - ...") is not mistaken for headings.
    bert = _chunk_with(chunks["complete-llm-roadmap"], "1. BERT (2018)")
    assert bert.section == "The Evolution of LLMs"


def test_module_outline_and_unnumbered_subheadings(chunks) -> None:
    rlhf = _chunk_with(chunks["comprehensive-llm-curriculum"], "Proximal Policy Optimization")
    assert rlhf.section == "8. Reinforcement Learning from Human Feedback (RLHF)"
    rag = _chunk_with(chunks["getting-started-with-llms"], "Combine LLMs with external knowledge")
    assert rag.section == "4. Understand LLMs and Their Ecosystem > Retrieval-Augmented Generation (RAG)"


def test_markdown_headings_tables_and_repaired_titles(chunks) -> None:
    flan = _chunk_with(chunks["core-llm-roadmap"], "FLAN Paper")
    assert flan.section == "LLM Architectures & Techniques — Learning Resources"
    core = _chunk_with(chunks["core-llm-roadmap"], "[Instruction Tuning](https://arxiv.org/abs/2109.01652)")
    assert core.section == "Intermediate Level — Core LLM Engineering > Core Concepts"


def test_a_heading_is_never_the_last_line_of_a_chunk(docs, chunks) -> None:
    for doc_id, doc in docs.items():
        heading_lines = {doc.text.split("\n")[i].strip() for i in find_headings(doc)}
        for chunk in chunks[doc_id]:
            last_line = chunk.text.rstrip().split("\n")[-1].strip()
            assert last_line not in heading_lines, (doc_id, last_line)


def test_chunks_are_small_enough_to_retrieve_precisely(chunks) -> None:
    sizes = [len(c.text) for doc_chunks in chunks.values() for c in doc_chunks]
    assert max(sizes) <= 900
    assert sum(sizes) / len(sizes) < 600


def test_chunk_ids_are_stable_and_content_derived(docs) -> None:
    doc = docs["complete-llm-roadmap"]
    first = chunk_document(doc)
    assert [c.id for c in chunk_document(doc)] == [c.id for c in first]
    assert len({c.id for c in first}) == len(first)
    # Editing the first section changes that chunk's id only; later ids survive.
    edited = Document(**{**doc.__dict__, "text": doc.text.replace("sophisticated AI", "advanced AI", 1)})
    second = chunk_document(edited)
    assert first[0].id != second[0].id
    assert [c.id for c in first[1:]] == [c.id for c in second[1:]]
    assert first[1].start != second[1].start  # the offsets moved with the text


def test_long_paragraphs_are_cut_at_sentences(tmp_path: Path) -> None:
    sentence = "Attention lets every token look at every other token in the sequence. "
    text = normalise("# Notes\n" + sentence * 40)
    doc = Document(id="d", title="T", kind="roadmap", source=tmp_path, text=text, is_markdown=True)
    pieces = chunk_document(doc, 300, 400)
    assert len(pieces) > 3
    assert all(len(c.text) <= 400 for c in pieces)
    assert all(c.text.rstrip().endswith(".") for c in pieces)
    assert pieces[0].text.startswith("# Notes\nAttention")


def test_passages_are_lines_read_through_the_text_units() -> None:
    text = (
        "- [Tokenization (BPE, WordPiece)](https://huggingface.co/docs/transformers/tokenizer_summary)\n"
        "| S.No | Architecture / Technique | Best Blog / Article | Level |\n"
        "|----|----|----|----|\n"
        "| 4 | Instruction Tuning | [FLAN Paper](https://arxiv.org/abs/2109.01652) | Intermediate |\n"
        "  https://huggingface.co/course\n"
        "It improves BLEU by 2.0 points. It is cheap.\n"
    )
    chunk = Chunk(
        id="c", doc_id="d", doc_title="T", kind="roadmap", section="Core", text=text, start=0, end=len(text), ordinal=0
    )
    assert chunk.passages() == [
        "Core: Tokenization (BPE, WordPiece)",
        "Core: Instruction Tuning: Best Blog / Article: FLAN Paper; Level: Intermediate",
        "Core: It improves BLEU by 2.0 points. It is cheap.",
    ]
