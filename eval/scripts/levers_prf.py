"""Issue 32, pseudo-relevance feedback (RM3-style) on the lexical lane: the top passages' terms, weighted by
their BM25 share and idf, added to the query, as a lane of its own or in place of BM25. Needs the standalone
queries levers_fusion.py caches. Run from the repository root: `python eval/scripts/levers_prf.py`.
"""

import json
import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
from collections import Counter
from pathlib import Path

import roadmap_rag.retrieve.hybrid as H
from roadmap_rag import Assistant, Settings
from roadmap_rag.evaluation.dataset import load_dataset
from roadmap_rag.evaluation.metrics import retrieval_scores
from roadmap_rag.evaluation.runner import RANK_DEPTH
from roadmap_rag.index.lexical import _chunk, query_tokens

a = Assistant(Settings(llm="extractive"))
queries = json.loads(Path(tempfile.gettempdir()) / "levers_queries.json".read_text())
SETS = ["roadmap_qa", "learner_dev", "learner_dev2", "learner_dev3", "retrieval_holdout"]
sets = {n: [i for i in load_dataset(Path(f"eval/datasets/{n}.jsonl")) if i.answerable] for n in SETS}
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


H.HybridRetriever._rankings = rankings
orig_lexical = H.HybridRetriever.lexical


def score(name):
    hits = mrr = 0.0
    for i in sets[name]:
        s = retrieval_scores(i, a.retrieve(queries[f"{name}:{i.id}"], k=RANK_DEPTH), 5)
        hits += s.hit
        mrr += s.mrr
    n = len(sets[name])
    return round(hits / n, 3), round(mrr / n, 3)


for cfg in [
    dict(mode="off"),
    dict(mode="lane", w=1.0),
    dict(mode="lane", w=0.5),
    dict(mode="replace"),
    dict(mode="lane", w=1.0, m=5),
    dict(mode="lane", w=1.0, fb=5),
    dict(mode="replace", orig=3, m=5),
]:
    CFG.update({"fb": 3, "m": 10, "orig": 2, "w": 1.0})
    CFG.update(cfg)
    H.FUSION_WEIGHTS = (1.0, 1.0, 1.0, CFG["w"], 0.0, 0.0)
    print(json.dumps({"cfg": dict(CFG), **{n: score(n) for n in SETS}}), flush=True)
