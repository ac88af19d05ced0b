"""Build an ONNX copy of a sentence-transformers model, offline, from the local weights.

The build runs once (about 8 s on 2 cores) into the models folder; a manifest records what it
was built from, so a changed source model or recipe rebuilds it. Steps: ``torch.onnx.export`` of
the transformer, then onnxruntime's BERT graph fusion. ``int8`` also quantizes the weight MatMuls
(dynamic, per channel) except the attention's query and key projections. fp32 gives PyTorch's
vectors (cosine 1.0000) and is the default; int8 vectors differ a little (cosine about 0.99) and
embed about 2x as fast as PyTorch (docs/benchmarks.md has both, with int8's hit@5).
Pooling and normalisation stay in numpy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roadmap_rag.errors import ConfigError
from roadmap_rag.files import file_sha256, held, read_json

RECIPES = {
    "fp32": "torch-export+bert-fusion/1",
    "int8": "torch-export+bert-fusion+int8-dynamic-per-channel-except-query-key/3",
}
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_QUERY_KEY = re.compile(r"/attention/self/(?:query|key)/")


@dataclass(frozen=True)
class OnnxModel:
    """A built model: the graph, the tokenizer beside it, and what the model reads."""

    directory: Path
    max_seq_length: int
    dimension: int

    @property
    def graph(self) -> Path:
        return self.directory / "model.onnx"

    @property
    def tokenizer(self) -> Path:
        return self.directory / "tokenizer.json"


def _read_json(path: Path) -> Any:
    data = read_json(path)
    if data is None:
        raise ConfigError(f"{path}: missing or not JSON; is this a sentence-transformers model directory?")
    return data


# The files of a sentence-transformers model that decide its vectors.
MODEL_FILES = ("model.safetensors", "pytorch_model.bin", "config.json", "tokenizer.json", "1_Pooling/config.json")


def hash_model(source: Path, digest: Any) -> Any:
    """Feed the model's MODEL_FILES (those present, each with its name) into ``digest`` (a hashlib object)."""
    for name in MODEL_FILES:
        path = source / name
        if path.is_file():
            digest.update(name.encode())
            file_sha256(path, digest)
    return digest


def model_label(source: Path) -> str:
    """The folder name a model built from ``source`` goes under: the package's name for a package's "model" dir."""
    return source.name if source.name != "model" else source.parent.name


def source_fingerprint(source: Path, precision: str) -> str:
    """SHA-256 over the recipe, the weights and the configs that decide the vectors."""
    return str(hash_model(source, hashlib.sha256(RECIPES[precision].encode())).hexdigest())


def check_source(source: Path) -> tuple[int, int]:
    """(max_seq_length, dimension) of a mean-pooled, normalised model; ConfigError otherwise."""
    if not (source / "tokenizer.json").is_file():
        raise ConfigError(f"{source}: no tokenizer.json; the onnx embedder needs a fast-tokenizer model directory")
    pooling = _read_json(source / "1_Pooling" / "config.json")
    if not pooling.get("pooling_mode_mean_tokens"):
        raise ConfigError(
            f"{source / '1_Pooling' / 'config.json'}: the onnx embedder supports mean pooling only; "
            "use ROADMAP_RAG_EMBEDDER=sentence-transformers for this model"
        )
    modules = _read_json(source / "modules.json")
    if not any(str(m.get("type", "")).endswith("Normalize") for m in modules if isinstance(m, dict)):
        raise ConfigError(f"{source / 'modules.json'}: no Normalize module; the onnx embedder expects unit vectors")
    bert = _read_json(source / "sentence_bert_config.json")
    return int(bert.get("max_seq_length", 256)), int(pooling["word_embedding_dimension"])


def _export(source: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    class LastHidden(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        model = LastHidden(AutoModel.from_pretrained(str(source)).eval())
    finally:
        hf_logging.enable_progress_bar()
    sample = AutoTokenizer.from_pretrained(str(source))(["an example sentence"], return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            tuple(sample[name] for name in INPUTS),
            str(target),
            input_names=list(INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _optimise(exported: Path, target: Path, precision: str) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    fused = target if precision == "fp32" else exported.with_name("fused.onnx")
    # num_heads/hidden_size 0: read them from the graph.
    optimize_model(str(exported), model_type="bert", num_heads=0, hidden_size=0).save_model_to_file(str(fused))
    if precision == "fp32":
        return
    graph = onnx.load(str(fused), load_external_data=False).graph
    # Query and key projections stay float: their rounding errors pass through the softmax into which
    # tokens attend to which. Quantizing them too cost 0.025 hit@5 on the eval set.
    keep_float = [n.name for n in graph.node if n.op_type == "MatMul" and _QUERY_KEY.search(n.name)]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # onnxruntime logs a generic "consider pre-processing" warning at the root
    try:
        quantize_dynamic(
            str(fused),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=keep_float,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)


def build(source: Path, models_dir: Path, precision: str = "fp32", force: bool = False) -> OnnxModel:
    """The ONNX model for ``source`` ("fp32" or "int8"), built into ``models_dir`` unless a matching one is there."""
    if precision not in RECIPES:
        raise ConfigError(f"onnx precision '{precision}' is not one of {', '.join(RECIPES)}")
    max_len, dimension = check_source(source)
    fingerprint = source_fingerprint(source, precision)
    directory = models_dir / f"{model_label(source)}-onnx-{precision}"
    built = OnnxModel(directory, max_len, dimension)
    manifest = directory / "manifest.json"

    def ready() -> bool:
        recorded = read_json(manifest) if not force and built.graph.is_file() else None
        return isinstance(recorded, dict) and recorded.get("fingerprint") == fingerprint  # a torn manifest: rebuild

    if ready():
        return built
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"the onnx embedder needs onnx and onnxruntime ({exc}); pip install onnx onnxruntime"
        ) from exc
    models_dir.mkdir(parents=True, exist_ok=True)
    # One process builds; the others wait and then use its model. Without the lock, a second builder
    # swapped its copy in by removing the first one's while a third process was loading it.
    with held(models_dir / f".{directory.name}.lock"):
        if ready():
            return built
        _build_into(source, directory, precision, fingerprint, max_len)
    return built


def _build_into(source: Path, directory: Path, precision: str, fingerprint: str, max_len: int) -> None:
    # Build beside the target, then swap in whole: a crash mid-build never leaves a half model in use.
    with tempfile.TemporaryDirectory(dir=directory.parent, prefix=".build-") as tmp:
        work = Path(tmp)
        staged = work / "out"
        staged.mkdir()
        try:
            _export(source, work / "exported.onnx")
            _optimise(work / "exported.onnx", staged / "model.onnx", precision)
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(
                f"could not build the ONNX model from {source} ({type(exc).__name__}: {exc}); "
                "use ROADMAP_RAG_EMBEDDER=sentence-transformers"
            ) from exc
        shutil.copy2(source / "tokenizer.json", staged / "tokenizer.json")
        record = {
            "fingerprint": fingerprint,
            "recipe": RECIPES[precision],
            "source": str(source),
            "max_seq_length": max_len,
        }
        (staged / "manifest.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
        if directory.exists():
            shutil.rmtree(directory, ignore_errors=True)
        staged.rename(directory)
