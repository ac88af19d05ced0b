"""Issue 32's embedder-adaptation lever: fine-tune the shipped MiniLM on pairs read from the corpus's own structure
(no questions, no generator), then measure retrieval with it on the dev splits and the held-out split.

    python eval/scripts/adapt_embedder.py OUT_DIR [EPOCHS] [LR]   # measured: 3 epochs at 2e-5 (the default)

Pairs, one anchor to one positive, from the index's roadmaps and paper cards (``Library``):
- a section's heading (its leaf, with its parent heading) -> each sentence, item or row in it;
- a list's introducing line -> each of its items;
- a topic item ("Linear Algebra") -> each of its details ("Resource: 3Blue1Brown ...");
- a card's short name and title -> what the paper introduced.
In-batch negatives (multiple-negatives ranking loss); a batch never holds two pairs of one anchor. Deterministic
(seeded, one thread). Writes a sentence-transformers model folder to OUT_DIR; then, e.g.:

    ROADMAP_RAG_DATA_DIR=/tmp/adapted ROADMAP_RAG_EMBEDDING_MODEL=OUT_DIR roadmap-rag ingest
    ROADMAP_RAG_DATA_DIR=/tmp/adapted ROADMAP_RAG_EMBEDDING_MODEL=OUT_DIR MODE=base \
        python eval/scripts/retrieval_levers.py

Figures: eval/README.md, "Retrieval on questions no one tuned on (issue 32)".
"""

import os
import random
import shutil
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"

import torch
from sentence_transformers import SentenceTransformer

from roadmap_rag import Assistant, Settings
from roadmap_rag.index.embeddings import shipped_model_path
from roadmap_rag.text.units import topic_text
from roadmap_rag.types import SECTION_SEPARATOR, Kind, unnumbered

SEED = 13
BATCH = 32


def pairs() -> list[tuple[str, str]]:
    library = Assistant(Settings(llm="extractive")).retriever.library()
    out: list[tuple[str, str]] = []
    for doc_id in library.doc_ids(Kind.ROADMAP):
        view = library.view(doc_id)
        for unit in view.units:
            if unit.kind not in ("sentence", "item", "row") or len(unit.text.split()) < 3:
                continue
            parts = [p for p in unnumbered(unit.section).split(SECTION_SEPARATOR) if p]
            if parts:
                out.append((" ".join(parts[-2:]), topic_text(unit) if unit.kind == "item" else unit.text))
            if unit.kind == "item" and unit.intro and not unit.level:
                out.append((unit.intro, topic_text(unit)))
            if unit.kind == "item" and unit.level and unit.parent:
                out.append((unit.parent, unit.text))
    for doc_id in library.doc_ids(Kind.PAPER_CARD):
        view = library.view(doc_id)
        title = next((u.text for u in view.units if u.kind == "heading"), "")
        intro = next((u.text for u in view.units if "introduced" in u.text), "")
        if title and intro:
            out.append((f"{library.title(doc_id).split(' (')[0]}: {title}", intro))
    return list(dict.fromkeys(out))


def batches(data: list[tuple[str, str]], rng: random.Random) -> list[list[tuple[str, str]]]:
    """Shuffled batches in which no anchor (and no positive) appears twice: in-batch negatives stay negative."""
    pool = data[:]
    rng.shuffle(pool)
    out: list[list[tuple[str, str]]] = []
    while pool:
        batch, anchors, rest = [], set(), []
        for pair in pool:
            if len(batch) < BATCH and pair[0] not in anchors and pair[1] not in anchors:
                batch.append(pair)
                anchors.update(pair)
            else:
                rest.append(pair)
        out.append(batch)
        pool = rest
    return [b for b in out if len(b) > 1]


def main() -> None:
    out_dir = Path(sys.argv[1])
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    lr = float(sys.argv[3]) if len(sys.argv) > 3 else 2e-5
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    rng = random.Random(SEED)
    data = pairs()
    print(f"{len(data)} pairs, {len({a for a, _ in data})} anchors")
    model = SentenceTransformer(str(shipped_model_path()), device="cpu")
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    scale = 20.0
    step = 0
    for epoch in range(epochs):
        for batch in batches(data, rng):
            anchors = model.tokenize([a for a, _ in batch])
            positives = model.tokenize([p for _, p in batch])
            a = model(anchors)["sentence_embedding"]
            p = model(positives)["sentence_embedding"]
            a = torch.nn.functional.normalize(a, dim=-1)
            p = torch.nn.functional.normalize(p, dim=-1)
            logits = scale * a @ p.T
            labels = torch.arange(len(batch))
            loss = (
                torch.nn.functional.cross_entropy(logits, labels) + torch.nn.functional.cross_entropy(logits.T, labels)
            ) / 2
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % 10 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.3f}", flush=True)
    model.eval()
    model.save(str(out_dir))
    # The pooling is unchanged (mean); its config in the shipped model's format, which the ONNX export reads.
    shutil.copy(shipped_model_path() / "1_Pooling" / "config.json", out_dir / "1_Pooling" / "config.json")
    print(f"saved to {out_dir}")


if __name__ == "__main__":
    main()
