"""`python -m bench` (or `roadmap-rag bench`): measure, write bench/results/<time>.json and docs/benchmarks.md.

python -m bench                      # the shipped corpus, eval questions, scale 10k and 100k (embedded + server)
python -m bench --sizes 10000,100000,1000000
python -m bench --sizes 10000,100000,1000000 --server-max 100000   # 1M embedded only (~25 min of inserts)
python -m bench --quick              # tiny sizes and few questions: the smoke test's run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from bench.measure import (
    REPO,
    load_splits,
    measure_answering,
    measure_baseline,
    measure_cold_ask,
    measure_embedding_throughput,
    measure_ingest,
    measure_int8_quality,
    measure_llm_path,
    measure_observability,
    measure_papers,
    measure_retrieval,
    scratch,
)
from bench.report import write_markdown
from bench.scale import measure_retrieve_scale
from roadmap_rag import Assistant, Settings
from roadmap_rag.evaluation import load_dataset
from roadmap_rag.evaluation.dataset import DEFAULT_REPLAY

PACKAGES = (
    "roadmap-rag",
    "chromadb",
    "sentence-transformers",
    "onnxruntime",
    "llama-index-core",
    "llama-cpp-python",
    "torch",
)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="scale sizes in chunks, comma-separated")
    parser.add_argument("--no-server", action="store_true", help="scale: embedded Chroma only")
    parser.add_argument("--server-max", type=int, help="scale: the Chroma server only up to this many chunks")
    parser.add_argument("--llamacpp-questions", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="tiny run for the smoke test")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--render", type=Path, help="only rewrite --doc from an earlier results JSON")
    args = parser.parse_args(argv)
    if args.render:
        write_markdown(json.loads(args.render.read_text(encoding="utf-8")), args.doc, args.render.resolve())
        print(f"bench: wrote {args.doc} from {args.render}")
        return args.render
    sizes = [500] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    items = load_dataset(REPO / "eval" / "datasets" / "roadmap_qa.jsonl")
    if args.quick:
        items = items[:4] + items[-1:]
    work = scratch()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": {p: metadata.version(p) for p in PACKAGES},
        "quick": args.quick,
        "questions": len(items),
    }
    try:
        step = "ingest"
        print("bench: ingest (cold, unchanged) ...", flush=True)
        # A full run builds the ONNX model afresh and times it; --quick reuses the shared models folder.
        model_cache = Settings().model_cache if args.quick else None
        settings, embedder, results["ingest"] = measure_ingest(REPO / "corpus", work, model_cache)
        assistant = Assistant(settings, embedder=embedder)
        texts = [c.embedding_text() for c in assistant.store.all_chunks()]
        step = "papers"
        print("bench: the papers path on the shared arXiv papers (extraction, ingest) ...", flush=True)
        results["papers"] = {"skipped": "--quick"} if args.quick else measure_papers(REPO / "corpus", work, embedder)
        step = "embedding"
        print("bench: embedding throughput per backend, and int8's retrieval quality ...", flush=True)
        results["embedding"] = measure_embedding_throughput(
            texts[:16] if args.quick else texts, settings.models_dir, 1 if args.quick else 3
        )
        corpus = REPO / "corpus"
        results["embedding"]["int8_quality"] = measure_int8_quality(
            assistant, corpus, work, settings.models_dir, items, [corpus / "roadmaps"] if args.quick else None
        )
        step = "retrieval"
        print("bench: retrieval latency and quality per mode ...", flush=True)
        splits = load_splits(REPO / "eval" / "datasets")
        if args.quick:
            splits = {name: split[:3] for name, split in splits.items()}
        results["retrieval"] = measure_retrieval(assistant, items, splits)
        step = "answering"
        print("bench: answering (extractive, llamacpp) and cold `ask` ...", flush=True)
        results["answering"] = measure_answering(assistant, items, 2 if args.quick else args.llamacpp_questions)
        step = "llm path"
        print("bench: the Ollama path, recorded answers at the measured model speed ...", flush=True)
        results["llm_path"] = measure_llm_path(
            assistant, REPO / DEFAULT_REPLAY, results["answering"]["llamacpp_tokens_per_s"], 3 if args.quick else 20
        )
        results["cold_ask"] = measure_cold_ask(
            settings, ("default",) if args.quick else ("default", "extractive", "llamacpp"), 1 if args.quick else 3
        )
        step = "observability"
        print("bench: the query log's and the tracing's cost per ask ...", flush=True)
        results["observability"] = measure_observability(assistant, items, work, 1 if args.quick else 3)
        step = "baseline"
        print("bench: baseline (LlamaIndex starter) ...", flush=True)
        results["baseline"] = measure_baseline(
            REPO / "corpus", items, lambda q: assistant.retrieve(q, k=20), 1 if args.quick else 3, splits
        )
        step = "scale"
        print(f"bench: the whole retrieve() at {sizes} ...", flush=True)
        base = assistant.store.all_chunks()
        vectors = np.array(embedder.embed_documents([c.embedding_text() for c in base]), dtype=np.float32)
        server_max = 0 if args.no_server or args.quick else (args.server_max or max(sizes))
        results["scale"] = measure_retrieve_scale(
            base, vectors, [i.question for i in items], sizes, work, server_max, 120 if args.quick else 1800
        )
    except Exception as exc:  # a partial run is still written, with what failed
        results["failed"] = f"{step}: {type(exc).__name__}: {exc}"
        raise
    finally:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
        path.write_text(json.dumps(results, indent=2), encoding="utf-8")
        if "scale" in results:
            write_markdown(results, args.doc, path)
        shutil.rmtree(work, ignore_errors=True)
    print(f"bench: wrote {path} and {args.doc}")
    return path


if __name__ == "__main__":
    main()
