"""The golden set is usable: valid rows, every quote really in the corpus, the required mix of types."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from roadmap_rag.corpus.chunking import chunk_document
from roadmap_rag.corpus.documents import discover, iter_documents, load_manifest
from roadmap_rag.errors import InputFileError
from roadmap_rag.evaluation import load_dataset
from roadmap_rag.evaluation.dataset import contains
from roadmap_rag.settings import Settings
from tests.conftest import CORPUS, REPO

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)

DATASET = REPO / "eval/datasets/roadmap_qa.jsonl"


def test_dataset_has_the_required_mix() -> None:
    items = load_dataset(DATASET)
    types = Counter(i.type for i in items)
    assert len(items) >= 60
    assert types["unanswerable"] >= 8
    assert set(types) == {
        "factual",
        "list",
        "learning-path",
        "cross-document",
        "paraphrase",
        "about",
        "paper",
        "unanswerable",
    }
    # Every answerable question names the key facts a correct answer states (issue 15's fact recall).
    assert all(i.facts for i in items if i.answerable)
    manifest_ids = {e.id for e in load_manifest(CORPUS).values()}
    assert {d for i in items for d in i.doc_ids} == manifest_ids  # all five roadmaps are asked about
    assert all(len(i.doc_ids) >= 2 for i in items if i.type == "cross-document")


def test_every_reference_quote_is_in_a_chunk_of_its_documents() -> None:
    settings = Settings(corpus_dir=CORPUS)
    files, _ = discover([CORPUS], settings)
    chunks = [
        c
        for doc in iter_documents(files, settings, load_manifest(CORPUS))
        if not isinstance(doc, Exception)
        for c in chunk_document(doc, settings.chunk_size, settings.chunk_max)
    ]
    for item in load_dataset(DATASET):
        for quote in item.contexts:
            holders = {c.doc_id for c in chunks if contains(c.text, quote)}
            assert holders and holders <= set(item.doc_ids), (item.id, quote, holders)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 1 is not valid JSON"),
        (json.dumps({"id": "a", "question": "q", "type": "trivia", "reference": "r"}), "field 'type'"),
        (json.dumps({"id": "a", "question": "", "type": "factual", "reference": "r"}), "field 'question'"),
        (json.dumps({"id": "a", "question": "q", "type": "factual", "reference": "r"}), "needs at least one quote"),
    ],
)
def test_bad_dataset_rows_name_the_line_and_field(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(InputFileError, match=message) as info:
        load_dataset(path)
    assert "bad.jsonl" in str(info.value)
