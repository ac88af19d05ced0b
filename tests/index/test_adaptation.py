"""The embedder adapted to the corpus: built once from its pairs, reused, built again (under a new name) when
what it is built from changes; and the shipped pairs are the ones the shipped corpus yields."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from roadmap_rag.evaluation.adaptation import corpus_pairs
from roadmap_rag.index import adaptation
from roadmap_rag.index.embeddings import SentenceTransformerEmbedder, embedding_space, shipped_model_path
from roadmap_rag.retrieve.library import Library
from roadmap_rag.settings import DEFAULT_EMBEDDING_MODEL, Settings

PAIRS = [
    ("Scaling & Efficiency", "Mixture of Experts models activate only parts of the network for each input."),
    ("Parameter-efficient fine-tuning", "LoRA trains low-rank update matrices; the pretrained weights stay frozen."),
    ("Retrieval-Augmented Generation", "RAG grounds a model's answer in passages retrieved from a document store."),
    ("Tokenization", "Byte-pair encoding merges the most frequent pairs of symbols into new tokens."),
]


@pytest.mark.fast
def test_the_shipped_pairs_are_the_ones_the_shipped_corpus_yields(library: Library) -> None:
    # A changed roadmap changes its pairs: `roadmap-rag eval adaptation-pairs` writes them again.
    assert adaptation.read_pairs() == corpus_pairs(library)
    assert len(adaptation.read_pairs()) > 500


@pytest.mark.fast
def test_the_adapted_model_has_an_index_and_a_threshold_of_its_own() -> None:
    adapted, plain = Settings(embedding_adaptation="corpus"), Settings()
    assert adapted.adapted and not plain.adapted
    assert embedding_space(adapted).startswith(f"{DEFAULT_EMBEDDING_MODEL}+corpus-")
    assert embedding_space(plain) == DEFAULT_EMBEDDING_MODEL
    assert adapted.passage_floor > plain.passage_floor  # its similarities sit higher
    assert Settings(min_passage_score=0.5).passage_floor == 0.5
    assert not Settings(embedding_model="/some/other/model", embedding_adaptation="corpus").adapted  # pairs for MiniLM


def test_built_once_reused_and_built_again_when_its_pairs_change(tmp_path: Path) -> None:
    base, models = shipped_model_path(), tmp_path / "models"
    pairs = tmp_path / "pairs.jsonl"
    adaptation.write_pairs(PAIRS, pairs)
    built = adaptation.build(base, models, pairs)
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["fingerprint"] == adaptation.fingerprint(base, pairs) and manifest["pairs"] == len(PAIRS)
    weights = built / "model.safetensors"
    stamp = weights.stat().st_mtime_ns
    assert adaptation.build(base, models, pairs) == built and weights.stat().st_mtime_ns == stamp  # reused
    first_name = adaptation.space_name(DEFAULT_EMBEDDING_MODEL, base, pairs)

    text = PAIRS[1][1]
    shipped = np.array(SentenceTransformerEmbedder().embed_query(text))
    tuned = np.array(SentenceTransformerEmbedder(str(built)).embed_query(text))
    assert 0.5 < float(shipped @ tuned) < 0.99999  # trained: moved, not broken

    adaptation.write_pairs(PAIRS[:3], pairs)
    assert adaptation.space_name(DEFAULT_EMBEDDING_MODEL, base, pairs) != first_name  # its index is rebuilt
    assert adaptation.build(base, models, pairs) == built and weights.stat().st_mtime_ns != stamp
    assert json.loads((built / "manifest.json").read_text())["pairs"] == 3
    assert not list(models.glob(".adapt-*"))  # nothing half made left behind
