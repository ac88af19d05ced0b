"""Issue 32's embedder-adaptation lever, for experiments: fine-tune the shipped MiniLM on the package's adaptation
pairs (``roadmap_rag/index/adaptation.py``; ``roadmap-rag eval adaptation-pairs`` reads them from the corpus) with
other epochs or learning rates than the recipe's, into a folder of its own.

    python eval/scripts/adapt_embedder.py OUT_DIR [EPOCHS] [LR]   # the recipe: 3 epochs at 2e-5

Then, e.g.:

    ROADMAP_RAG_DATA_DIR=/tmp/adapted ROADMAP_RAG_EMBEDDING_MODEL=OUT_DIR roadmap-rag ingest
    ROADMAP_RAG_DATA_DIR=/tmp/adapted ROADMAP_RAG_EMBEDDING_MODEL=OUT_DIR MODE=base \
        python eval/scripts/retrieval_levers.py

The recipe's model itself is built by the package: ROADMAP_RAG_EMBEDDING_ADAPTATION=corpus.
Figures: eval/README.md, "Retrieval on questions no one tuned on (issue 32)".
"""

import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"

from roadmap_rag.index import adaptation
from roadmap_rag.index.embeddings import shipped_model_path


def main() -> None:
    out_dir = Path(sys.argv[1])
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else adaptation.EPOCHS
    lr = float(sys.argv[3]) if len(sys.argv) > 3 else adaptation.LEARNING_RATE
    pairs = adaptation.read_pairs()
    print(f"{len(pairs)} pairs, {len({a for a, _ in pairs})} anchors")

    def report(step: int, loss: float) -> None:
        if step % 10 == 0:
            print(f"step {step} loss {loss:.3f}", flush=True)

    adaptation.train(shipped_model_path(), pairs, out_dir, epochs, lr, on_step=report)
    print(f"saved to {out_dir}")


if __name__ == "__main__":
    main()
