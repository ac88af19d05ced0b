"""The embedder adapted to the corpus: the shipped all-MiniLM-L6-v2 fine-tuned once, offline, on pairs read from the
shipped roadmaps' and cards' own structure (a section's heading and a line under it, a list's lead and an item, a
topic and its resource, a paper's name and what it introduced; ``adaptation_pairs.jsonl``). No question and no
generator go into it. On questions no one tuned on it retrieves more of what answers them (eval/README.md,
"Adapting the embedder to the corpus").

It is built once into the models folder (about a minute on 2 cores; one thread, seeded, so that a build
gives the same model), beside a manifest of what it was built from: a changed base model, recipe or pair
file builds it again, under a new name, so that an index built with the old one asks to be rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from roadmap_rag.errors import ConfigError
from roadmap_rag.files import file_sha256, held, read_json
from roadmap_rag.index.onnx_export import MODEL_FILES, hash_model, model_label

PAIRS = Path(__file__).with_name("adaptation_pairs.jsonl")
EPOCHS = 1
LEARNING_RATE = 2e-5
SEED = 13
BATCH = 32
SCALE = 20.0  # the similarity's temperature in the in-batch softmax
RECIPE = f"in-batch-symmetric/scale{SCALE:g}/batch{BATCH}-unique/epochs{EPOCHS}/lr{LEARNING_RATE:g}/seed{SEED}/1-thread"

log = logging.getLogger(__name__)
Pair = tuple[str, str]


def read_pairs(path: Path = PAIRS) -> list[Pair]:
    """The anchor -> positive pairs of a pair file (JSON lines of two strings)."""
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{path}: the embedder's adaptation pairs are unreadable ({exc}); reinstall the package"
        ) from exc
    return [(str(a), str(p)) for a, p in rows]


def write_pairs(pairs: list[Pair], path: Path = PAIRS) -> None:
    path.write_text("".join(json.dumps([a, p], ensure_ascii=False) + "\n" for a, p in pairs), encoding="utf-8")


def fingerprint(base: Path, pairs: Path = PAIRS) -> str:
    """SHA-256 over the recipe, the base model's weights and configs, and the pairs (hashed once per process
    while the files are unchanged)."""
    files = [pairs, *(base / name for name in MODEL_FILES)]
    stamps = tuple((p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.is_file())
    return _fingerprint(base, pairs, stamps)


@lru_cache(maxsize=8)
def _fingerprint(base: Path, pairs: Path, stamps: tuple[tuple[int, int], ...]) -> str:
    return file_sha256(pairs, hash_model(base, hashlib.sha256(RECIPE.encode())))


def space_name(model: str, base: Path, pairs: Path = PAIRS) -> str:
    """The name an index built with the adapted model is built under: the base's name and what adapted it."""
    return f"{model}+corpus-{fingerprint(base, pairs)[:12]}"


def build(base: Path, models_dir: Path, pairs: Path = PAIRS) -> Path:
    """The adapted model's directory (a sentence-transformers model), built into ``models_dir`` unless a
    matching one is there."""
    directory = models_dir / f"{model_label(base)}-corpus"
    expected = fingerprint(base, pairs)

    def ready() -> bool:
        recorded = read_json(directory / "manifest.json")
        return isinstance(recorded, dict) and recorded.get("fingerprint") == expected

    if ready():
        return directory
    models_dir.mkdir(parents=True, exist_ok=True)
    with held(models_dir / f".{directory.name}.lock"):  # one process trains; the others wait, then load it
        if ready():
            return directory
        log.warning("Adapting the embedder to the corpus once, into %s (about a minute on 2 cores) ...", directory)
        # Train beside the target, then swap in whole: a crash mid-build never leaves a half model in use.
        with tempfile.TemporaryDirectory(dir=models_dir, prefix=".adapt-") as tmp:
            staged = Path(tmp) / "out"
            data = read_pairs(pairs)
            train(base, data, staged)
            record = {"fingerprint": expected, "recipe": RECIPE, "base": str(base), "pairs": len(data)}
            (staged / "manifest.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
            if directory.exists():
                shutil.rmtree(directory, ignore_errors=True)
            staged.rename(directory)
    return directory


def batches(pairs: list[Pair], rng: random.Random) -> list[list[Pair]]:
    """Shuffled batches in which no text appears twice: each pair's in-batch negatives are truly other texts."""
    pool = pairs[:]
    rng.shuffle(pool)
    out: list[list[Pair]] = []
    while pool:
        batch: list[Pair] = []
        seen: set[str] = set()
        rest: list[Pair] = []
        for pair in pool:
            if len(batch) < BATCH and pair[0] not in seen and pair[1] not in seen:
                batch.append(pair)
                seen.update(pair)
            else:
                rest.append(pair)
        out.append(batch)
        pool = rest
    return [b for b in out if len(b) > 1]


def train(
    base: Path,
    pairs: list[Pair],
    out: Path,
    epochs: int = EPOCHS,
    lr: float = LEARNING_RATE,
    on_step: Callable[[int, float], None] | None = None,
) -> None:
    """Fine-tune ``base`` on ``pairs`` with in-batch negatives (each anchor against every positive of its batch,
    and back), one thread, seeded; write a sentence-transformers model folder to ``out``."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    threads = torch.get_num_threads()
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # our own line says what is happening
    try:
        model = SentenceTransformer(str(base), device="cpu")
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
        rng = random.Random(SEED)
        step = 0
        for _ in range(epochs):
            for batch in batches(pairs, rng):
                anchors = model(_tokens(model, [a for a, _ in batch]))["sentence_embedding"]
                positives = model(_tokens(model, [p for _, p in batch]))["sentence_embedding"]
                logits = (
                    SCALE
                    * torch.nn.functional.normalize(anchors, dim=-1)
                    @ (torch.nn.functional.normalize(positives, dim=-1).T)
                )
                labels = torch.arange(len(batch))
                cross = torch.nn.functional.cross_entropy
                loss = (cross(logits, labels) + cross(logits.T, labels)) / 2
                optimizer.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                optimizer.step()
                step += 1
                if on_step:
                    on_step(step, float(loss.item()))
        model.eval()
        model.save(str(out))
    finally:
        torch.set_num_threads(threads)
        hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
    # The pooling is unchanged (mean); its config in the base model's format, which the ONNX export reads.
    shutil.copy(base / "1_Pooling" / "config.json", out / "1_Pooling" / "config.json")


def _tokens(model: Any, texts: list[str]) -> Any:
    """The model's inputs for ``texts`` ("preprocess" since sentence-transformers 6; "tokenize" before)."""
    preprocess = getattr(model, "preprocess", None)
    return preprocess(inputs=texts) if preprocess else model.tokenize(texts)
