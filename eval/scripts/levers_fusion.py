"""Issue 32, learned fusion: lane weights (passages, chunks, lexical) and the RRF constant, searched on the dev
splits (golden, learner_dev, learner_dev2, learner_dev3); the held-out split (retrieval_holdout) is only reported.
Run from the repository root: `MODE=grid python eval/scripts/levers_fusion.py` (MODE=base: today's weights).
Figures: eval/README.md, "Retrieval levers (issue 32)".
"""

import itertools
import json
import os
import sys
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
from pathlib import Path

import roadmap_rag.retrieve.hybrid as H
from roadmap_rag import Assistant, Settings
from roadmap_rag.evaluation.dataset import load_dataset
from roadmap_rag.evaluation.metrics import retrieval_scores
from roadmap_rag.evaluation.runner import RANK_DEPTH, conversation

a = Assistant(Settings(llm="extractive"))
DEV = ["roadmap_qa", "learner_dev", "learner_dev2", "learner_dev3"]
HELD = ["retrieval_holdout"]
cache = Path(tempfile.gettempdir()) / "levers_queries.json"
queries = json.loads(cache.read_text()) if cache.exists() else {}
sets = {}
for name in DEV + HELD + sys.argv[1:]:
    items = [i for i in load_dataset(Path(f"eval/datasets/{name}.jsonl")) if i.answerable]
    for i in items:
        key = f"{name}:{i.id}"
        if key not in queries:
            queries[key] = a.standalone_query(i.question, conversation(a, i, 5, "extractive"))
    sets[name] = items
cache.write_text(json.dumps(queries))


def score(name):
    hits = mrr = 0.0
    for i in sets[name]:
        s = retrieval_scores(i, a.retrieve(queries[f"{name}:{i.id}"], k=RANK_DEPTH), 5)
        hits += s.hit
        mrr += s.mrr
    n = len(sets[name])
    return hits / n, mrr / n


def run(weights, rrf):
    H.FUSION_WEIGHTS = weights
    a.retriever.settings = a.retriever.settings.model_copy(update={"rrf_k": rrf})
    return {n: score(n) for n in sets}


if __name__ == "__main__":
    mode = os.environ.get("MODE", "base")
    if mode == "base":
        r = run((1.0, 1.0, 1.0, 1.0, 0.0, 0.0), 5)
        print(json.dumps({k: [round(x, 3) for x in v] for k, v in r.items()}))
    else:
        out = []
        grid = [0.5, 1.0, 1.5, 2.0]
        for p, c, lx in itertools.product(grid, grid, grid):
            if max(p, c, lx) != 2.0 and (p, c, lx) != (1.0, 1.0, 1.0):
                continue  # scale-free: fix the largest at 2 (and keep the default)
            for rrf in (5,):
                r = run((p, c, lx, 1.0, 0.0, 0.0), rrf)
                out.append({"w": [p, c, lx], "rrf": rrf, **{k: v for k, v in r.items()}})
                print(json.dumps(out[-1]), flush=True)
        (Path(tempfile.gettempdir()) / "levers_fusion.json").write_text(json.dumps(out))
