"""Issue 32's retrieval levers, measured on the dev splits (golden, learner_dev, learner_dev2, learner_dev3) with
the held-out split (retrieval_holdout) only reported. Run from the repository root:

    MODE=base python eval/scripts/retrieval_levers.py   # today's fusion
    MODE=grid python eval/scripts/retrieval_levers.py   # lane weights (passages, chunks, BM25) learned on dev
    MODE=prf  python eval/scripts/retrieval_levers.py   # RM3-style feedback on BM25: a lane, or in place of it

Follow-ups are searched as their standalone question, resolved once (cached in the temporary folder).
Figures: eval/README.md, "Retrieval on questions no one tuned on (issue 32)".
"""

import itertools
import json
import os
import sys
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
from collections import Counter
from pathlib import Path

import roadmap_rag.retrieve.hybrid as H
from roadmap_rag import Assistant, Settings
from roadmap_rag.evaluation.dataset import load_dataset
from roadmap_rag.evaluation.metrics import retrieval_scores
from roadmap_rag.evaluation.runner import RANK_DEPTH, conversation
from roadmap_rag.index.lexical import _chunk, query_tokens

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


CFG = {"fb": 3, "m": 10, "orig": 2, "mode": "lane", "w": 1.0}


def prf(self, query, k, filters, refresh=True, local=False):
    index = "roadmaps" if self._roadmap_kinds and self._on_roadmaps(filters) else "chunks"
    eng = self.lexical_index.engines[index]
    toks = query_tokens(query)
    first = eng.search(toks, max(k, CFG["fb"]), filters.doc_ids, filters.kinds, local)
    if not first:
        return []
    top = first[: CFG["fb"]]
    z = sum(s for _, s in top) or 1.0
    weights = Counter()
    for d, s in top:
        body = d["body"][0].split()
        for t, n in Counter(body).items():
            weights[t] += (s / z) * n / max(len(body), 1)
    searcher = eng.searcher()
    idf, _ = eng._statistics(searcher, list(weights), None)
    have = set(toks)
    cand = sorted(((w * idf[t], t) for t, w in weights.items() if t not in have and idf[t] > 0), reverse=True)
    expanded = toks * CFG["orig"] + [t for _, t in cand[: CFG["m"]]]
    return [(_chunk(d), s) for d, s in eng.search(expanded, k, filters.doc_ids, filters.kinds, local)]


orig_rankings = H.HybridRetriever._rankings


def rankings(self, query, depth, filters, mode):
    r = orig_rankings(self, query, depth, filters, mode)
    if mode != "dense" and CFG["mode"] == "lane":
        r.sentences = prf(self, query, depth, filters)
    elif mode != "dense" and CFG["mode"] == "replace":
        r.lexical = prf(self, query, depth, filters)
    return r


PRF_SETTINGS = [
    dict(mode="off"),
    dict(mode="lane", w=1.0),
    dict(mode="lane", w=0.5),
    dict(mode="replace"),
    dict(mode="lane", w=1.0, m=5),
    dict(mode="lane", w=1.0, fb=5),
    dict(mode="replace", orig=3, m=5),
]


if __name__ == "__main__":
    mode = os.environ.get("MODE", "base")
    if mode == "base":
        r = run((1.0, 1.0, 1.0, 1.0, 0.0, 0.0), 5)
        print(json.dumps({k: [round(x, 3) for x in v] for k, v in r.items()}))
    elif mode == "prf":
        H.HybridRetriever._rankings = rankings
        for cfg in PRF_SETTINGS:
            CFG.update({"fb": 3, "m": 10, "orig": 2, "w": 1.0})
            CFG.update(cfg)
            r = run((1.0, 1.0, 1.0, CFG["w"], 0.0, 0.0), 5)
            print(json.dumps({"cfg": dict(CFG), **{k: [round(x, 3) for x in v] for k, v in r.items()}}), flush=True)
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
