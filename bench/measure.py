"""What `python -m bench` measures: ingest, retrieval, answering, scale, and the LlamaIndex starter baseline.

Every figure is measured in the same run on this machine; ratios compare against the baseline measured here.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from roadmap_rag import Assistant, Settings, Source
from roadmap_rag.evaluation import EvalItem, load_dataset
from roadmap_rag.evaluation.metrics import fact_recall, retrieval_scores
from roadmap_rag.evaluation.runner import RANK_DEPTH, percentile
from roadmap_rag.index import onnx_export
from roadmap_rag.index.embeddings import (
    Embedder,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    make_embedder,
    resolve_model,
    shipped_model_path,
)
from roadmap_rag.index.ingest import ingest

REPO = Path(__file__).resolve().parents[1]


def percentiles(values: Sequence[float]) -> dict[str, float]:
    spread = {f"p{round(q * 100)}": float(percentile(values, q) or 0.0) for q in (0.5, 0.95, 0.99)}
    return spread | {"mean": statistics.fmean(values) if values else 0.0, "n": len(values)}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def quality(items: Sequence[EvalItem], search: Callable[[str], list[Source]], k: int = 5) -> dict[str, float]:
    """hit@5 and MRR; the fact ceiling: the share of the key facts the top ``k`` sources hold (no answer can
    state more)."""
    answerable = [i for i in items if i.answerable]
    found = [search(i.question) for i in answerable]
    scores = [retrieval_scores(i, sources, k) for i, sources in zip(answerable, found, strict=True)]
    held = [
        fact_recall("\n".join(s.text for s in sources[:k]), i.facts)
        for i, sources in zip(answerable, found, strict=True)
    ]
    return {
        "hit@5": statistics.fmean(s.hit for s in scores),
        "mrr": statistics.fmean(s.mrr for s in scores),
        "fact_ceiling": sum(h for h, _ in held) / max(1, sum(n for _, n in held)),
    }


# The splits the bench reports quality on beside speed: the golden set, and sets written apart from the code
# (the learner split's follow-ups are searched as typed, without their conversation).
SPLITS = {
    "golden (roadmap_qa)": "roadmap_qa.jsonl",
    "roadmap holdout": "roadmap_qa_holdout.jsonl",
    "retrieval holdout (issue 32)": "retrieval_holdout.jsonl",
    "learner split (frozen)": "learner_qa.jsonl",
}


def load_splits(folder: Path) -> dict[str, list[EvalItem]]:
    return {name: load_dataset(folder / file) for name, file in SPLITS.items()}


def latency(questions: Sequence[str], search: Callable[[str], object], warmup: int = 3) -> dict[str, float]:
    for q in questions[:warmup]:
        search(q)
    times = []
    for q in questions:
        _, seconds = timed(lambda q=q: search(q))
        times.append(seconds)
    return percentiles(times)


def measure_ingest(corpus: Path, work: Path, model_cache: Path | None) -> tuple[Settings, Embedder, dict[str, Any]]:
    """model_cache None: the ONNX model is built fresh in the run's data dir, and that build is timed."""
    settings = Settings(data_dir=work / "ours", corpus_dir=corpus, llm="extractive", model_cache=model_cache)
    build_s = 0.0
    if settings.embedder == "onnx":  # the one-off export, timed apart from loading
        _, build_s = timed(
            lambda: onnx_export.build(
                resolve_model(settings.embedding_model), settings.models_dir, settings.onnx_precision
            )
        )
    embedder, load_s = timed(lambda: make_embedder(settings))
    # Cold ingest of the roadmaps alone, as the starter baseline reads them: like against like.
    report, cold_s = timed(lambda: ingest(settings, [corpus / "roadmaps"], embedder=embedder))
    # Then the whole corpus, as `roadmap-rag ingest` does: this adds the paper cards.
    cards, cards_s = timed(lambda: ingest(settings, embedder=embedder))
    rerun, unchanged_s = timed(lambda: ingest(settings, embedder=embedder))
    assert report.ok and cards.ok and rerun.embedded == 0
    texts = report.added + report.passages_added
    return (
        settings,
        embedder,
        {
            "embedder": f"{settings.embedder} ({embedder.name})",
            "model_build_s": build_s,
            "model_load_s": load_s,
            "cold_ingest_s": cold_s,
            "embed_s": report.embed_seconds,
            "chunks": report.added,
            "passages": report.passages_added,
            "chunks_per_s": report.added / report.embed_seconds,
            "texts_per_s": texts / report.embed_seconds,
            "paper_cards": cards.added,
            "paper_cards_ingest_s": cards_s,
            "unchanged_reingest_s": unchanged_s,
            "unchanged_share_of_cold": unchanged_s / (cold_s + cards_s),
            "peak_rss_mb_after_ingest": peak_rss_mb(),
        },
    )


PLAIN = "plain sentence-transformers (PyTorch, encode() defaults: batches of 32)"


def measure_embedding_throughput(texts: Sequence[str], models_dir: Path, repeats: int = 3) -> dict[str, Any]:
    """Our backends against plain sentence-transformers on the same texts: issue 7's 2x target.

    Repeats are interleaved (each backend once per round) and the median taken: on a shared 2-core
    machine a single pass of any backend varies by up to 25%."""
    from sentence_transformers import SentenceTransformer

    plain = SentenceTransformer(str(shipped_model_path()), device="cpu")
    torch_ours = SentenceTransformerEmbedder()
    onnx = {p: OnnxEmbedder(models_dir=models_dir, precision=p) for p in ("fp32", "int8")}
    backends: dict[str, Callable[[], Any]] = {
        PLAIN: lambda: plain.encode(list(texts), normalize_embeddings=True),
        "sentence-transformers, batches of 8 in length order": lambda: torch_ours.embed_documents(texts),
        "onnx fp32 (default), 1 text per call on each core": lambda: onnx["fp32"].embed_documents(texts),
        "onnx int8, 1 text per call on each core": lambda: onnx["int8"].embed_documents(texts),
    }
    reference = np.asarray(backends[PLAIN]())
    rates: dict[str, list[float]] = {name: [] for name in backends}
    cosine: dict[str, float] = {}
    for name, run in backends.items():  # warm-up, and each backend's agreement with plain PyTorch
        cosine[name] = float((np.asarray(run()) * reference).sum(axis=1).min())
    for _ in range(repeats):
        for name, run in backends.items():
            _, seconds = timed(run)
            rates[name].append(len(texts) / seconds)
    base = statistics.median(rates[PLAIN])
    rows = [
        {
            "backend": name,
            "texts_per_s": statistics.median(r),
            "ratio": statistics.median(r) / base,
            "min_cosine_to_plain": cosine[name],
            "runs": r,
        }
        for name, r in rates.items()
    ]
    return {"texts": len(texts), "repeats": repeats, "rows": rows}


def measure_int8_quality(
    default: Assistant,
    corpus: Path,
    work: Path,
    models_dir: Path,
    items: Sequence[EvalItem],
    roots: Sequence[Path] | None = None,
) -> dict[str, dict[str, float]]:
    """hit@5 and MRR as the eval gate measures them (top 5 of a k=20 retrieve), on the default index and
    on one embedded by the int8 model (the 2x candidate): same corpus, same questions, same run."""
    settings = Settings(
        data_dir=work / "int8", corpus_dir=corpus, llm="extractive", onnx_precision="int8", model_cache=models_dir
    )
    embedder = make_embedder(settings)
    assert ingest(settings, list(roots) if roots else None, embedder=embedder).ok
    int8 = Assistant(settings, embedder=embedder)
    return {
        "default": quality(items, lambda q: default.retrieve(q, k=RANK_DEPTH)),
        "int8": quality(items, lambda q: int8.retrieve(q, k=RANK_DEPTH)),
    }


def measure_retrieval(
    assistant: Assistant, items: Sequence[EvalItem], splits: Mapping[str, Sequence[EvalItem]] = {}
) -> dict[str, Any]:
    """Latency and quality per lane (dense, lexical) and fused, on the golden set and on each split."""
    questions = [i.question for i in items]
    out: dict[str, Any] = {"splits": {name: {} for name in splits}}
    for mode in ("dense", "lexical", "hybrid"):

        def search(q: str, mode: Any = mode) -> list[Source]:
            return assistant.retrieve(q, k=20, mode=mode)

        out[mode] = latency(questions, search) | quality(items, search)
        for name, split in splits.items():
            out["splits"][name][mode] = quality(split, search)
    out["reranker"] = "not measured: no cross-encoder model ships offline (ROADMAP_RAG_RERANKER is off by default)"
    return out


def measure_answering(assistant: Assistant, items: Sequence[EvalItem], llamacpp_questions: int) -> dict[str, Any]:
    questions = [i.question for i in items if i.answerable]
    out: dict[str, Any] = {}
    extractive = [assistant.ask(q, llm="extractive").timings.total for q in questions]
    out["extractive_total_s"] = percentiles(extractive)
    # The default path: `auto` (the composer where no Ollama answers; the report names the backend used).
    default = [assistant.ask(q, llm="auto") for q in questions]
    out["default_backend"] = sorted({a.backend for a in default})
    out["default_first_token_s"] = percentiles([a.timings.first_token for a in default])
    out["default_total_s"] = percentiles([a.timings.total for a in default])
    assistant.ask(questions[0], llm="llamacpp")  # load the model once: warm figures below
    answers = [assistant.ask(q, llm="llamacpp") for q in questions[1 : 1 + llamacpp_questions]]
    out["llamacpp_first_token_s"] = percentiles([a.timings.first_token for a in answers])
    out["llamacpp_total_s"] = percentiles([a.timings.total for a in answers])
    llm, _ = assistant.llm("llamacpp")
    model = llm._model  # type: ignore[attr-defined]
    prompt = "The transformer architecture is"
    (_, seconds) = timed(lambda: model.create_completion(prompt, max_tokens=64, temperature=0.0, stop=[]))
    tokens = model.create_completion(prompt, max_tokens=64, temperature=0.0, stop=[])["usage"]["completion_tokens"]
    out["llamacpp_tokens_per_s"] = tokens / seconds
    return out


def measure_llm_path(assistant: Assistant, replay: Path, tokens_per_s: float, n: int) -> dict[str, Any]:
    """The Ollama path with the claim check streaming statement by statement (issue 28): recorded answers served
    over the Ollama protocol at the speed of the model measured in this run (a word a token), so the check's cost
    is set against a generation time measured here. First verified statement vs the model's first word; the
    check's CPU time per answer (the answer streamed into StreamCheck word by word, then finished), as a share of
    that answer's generation time."""
    from roadmap_rag.answer.citations import StreamCheck
    from roadmap_rag.evaluation.replay import Replayer, load_replay
    from roadmap_rag.evaluation.standin import MODEL, StandIn

    items = load_replay(replay)[:n]
    pace = 1.0 / tokens_per_s
    replayer = Replayer()
    first, total, gap, ratios, verify_s = [], [], [], [], []
    with StandIn() as standin:
        standin.reply, standin.pace = replayer, pace
        settings = assistant.settings.model_copy(
            update={"ollama_host": standin.host, "ollama_model": MODEL, "llm": "ollama", "query_log": False}
        )
        bot = Assistant(settings, embedder=assistant.embedder, store=assistant.store)
        for item in items:
            replayer.item, replayer.text = item, item.answer
            answer = bot.ask(item.question, item.history)
            first.append(answer.timings.first_token)
            total.append(answer.timings.total)
            words = replayer.sent.split(" ")
            gap.append(answer.timings.first_token - answer.timings.retrieve - pace)  # after the model's first word
            sources = answer.sources
            started = time.process_time()
            streaming = StreamCheck(sources, item.question, bot._names())
            for word in words:
                streaming.feed(word + " ")
            streaming.finish()
            spent = time.process_time() - started
            verify_s.append(spent)
            ratios.append(spent / (len(words) * pace))
    return {
        "answers": len(items),
        "tokens_per_s": tokens_per_s,
        "first_verified_statement_s": percentiles(first),
        "after_first_model_word_s": percentiles(gap),
        "total_s": percentiles(total),
        "verify_s_per_answer": percentiles(verify_s),
        "verify_share_of_generation": percentiles(ratios),
    }


_CHILD_RSS = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True); "
    "sys.stderr.write(done.stderr.decode()[-2000:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)"
)


def measure_cold_ask(
    settings: Settings, llms: Sequence[str] = ("default", "extractive", "llamacpp"), rounds: int = 3
) -> dict[str, Any]:
    """`roadmap-rag ask` as a fresh process (median wall time of ``rounds``, and that process's own peak RSS),
    beside `python -c pass` measured in the same rounds. "default" asks with no --llm: `auto`, with Ollama
    unreachable."""
    env = {
        **os.environ,
        "ROADMAP_RAG_DATA_DIR": str(settings.data_dir),
        "HF_HUB_OFFLINE": "1",
        "ROADMAP_RAG_OLLAMA_HOST": "http://127.0.0.1:9",
    }
    commands = {"python -c pass": [sys.executable, "-c", "pass"]}
    for llm in llms:
        ask = [sys.executable, "-m", "roadmap_rag", "ask", "What is LoRA?"]
        commands[llm] = ask if llm == "default" else [*ask, "--llm", llm]
    walls: dict[str, list[float]] = {name: [] for name in commands}
    rss: dict[str, float] = {}
    for _ in range(rounds):  # interleaved, so a drift of the machine's speed hits every command alike
        for name, command in commands.items():
            cmd = [sys.executable, "-c", _CHILD_RSS, *command]
            done, seconds = timed(
                lambda cmd=cmd: subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
            )
            assert done.returncode == 0, done.stderr
            walls[name].append(seconds)
            rss[name] = int(done.stdout.strip().splitlines()[-1]) / 1024
    return {name: {"wall_s": statistics.median(w), "peak_rss_mb": rss[name]} for name, w in walls.items()}


def paired_latency(
    questions: Sequence[str], searches: dict[str, Callable[[str], object]], rounds: int = 3
) -> dict[str, Any]:
    """All questions through each search in turn (A B A B A B), ``rounds`` times: a ratio between them
    then holds when the machine's speed drifts during the run (on this shared 2-core VM it does, by
    30%+). Whole passes, not question by question: alternating every call made each pay for the
    other's warm-up (caches, thread pools)."""
    times: dict[str, list[float]] = {name: [] for name in searches}
    for _ in range(rounds):
        for name, search in searches.items():
            for q in questions[:3]:
                search(q)
            for q in questions:
                _, seconds = timed(lambda q=q, search=search: search(q))
                times[name].append(seconds)
    return {name: percentiles(t) for name, t in times.items()} | {"rounds": rounds}


def measure_baseline(
    corpus: Path,
    items: Sequence[EvalItem],
    ours: Callable[[str], object] | None = None,
    rounds: int = 3,
    splits: Mapping[str, Sequence[EvalItem]] = {},
) -> dict[str, Any]:
    """The LlamaIndex starter recipe: default SentenceSplitter, the same MiniLM, in memory, top 5.
    With ``ours``, also both retrieve latencies measured interleaved (``paired``)."""
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    started = time.perf_counter()
    LlamaSettings.embed_model = HuggingFaceEmbedding(model_name=str(shipped_model_path()), device="cpu")
    LlamaSettings.llm = None
    documents = SimpleDirectoryReader(str(corpus / "roadmaps")).load_data()
    index = VectorStoreIndex.from_documents(documents)
    ingest_s = time.perf_counter() - started
    retriever = index.as_retriever(similarity_top_k=5)

    def search(q: str) -> list[Source]:
        return [
            Source(
                id=n.node.node_id, doc_id="", title="", section="", text=n.node.get_content(), score=float(n.score or 0)
            )
            for n in retriever.retrieve(q)
        ]

    questions = [i.question for i in items]
    out = (
        {"ingest_s": ingest_s, "nodes": len(index.docstore.docs)} | latency(questions, search) | quality(items, search)
    )
    out["splits"] = {name: quality(split, search) for name, split in splits.items()}
    if ours is not None:
        out["paired"] = paired_latency(questions, {"hybrid": ours, "starter": search}, rounds)
    return out


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="roadmap-rag-bench-"))


SHARED_PAPERS = REPO.parent / "shared" / "papers"


def measure_papers(corpus: Path, work: Path, embedder: Embedder, papers: Path = SHARED_PAPERS) -> dict[str, Any]:
    """The papers path on real arXiv PDFs beside the roadmaps: text extraction per page with PDFium (ours) and
    pypdf (before) in the same run, then ingest of the papers into an index that holds the roadmaps: pages/min,
    texts/s, and what the cleaning left out. {"skipped": why} where the papers are absent."""
    pdfs = sorted(papers.glob("*.pdf"))
    if not pdfs:
        return {"skipped": f"no PDFs in {papers} (the shared arXiv papers); nothing measured"}
    from roadmap_rag.corpus.documents import _read_pdf
    from roadmap_rag.corpus.pdf import read_paper

    settings = Settings(data_dir=work / "papers", corpus_dir=corpus, llm="extractive")
    texts, pdfium_s = timed(lambda: [_read_pdf(p, settings) for p in pdfs])
    pages = sum(len(t) for t in texts)
    out: dict[str, Any] = {"papers": len(pdfs), "pages": pages, "pdfium_pages_per_s": pages / pdfium_s}
    try:
        from pypdf import PdfReader

        _, pypdf_s = timed(lambda: [[pg.extract_text() for pg in PdfReader(str(p)).pages] for p in pdfs])
        out["pypdf_pages_per_s"] = pages / pypdf_s
        out["extraction_speedup"] = pypdf_s / pdfium_s
    except ImportError:  # pypdf is a dev dependency (the tests write PDFs with it)
        out["pypdf_pages_per_s"] = None
    dropped: dict[str, int] = {}
    for numbered in texts:
        for reason, n in read_paper([t for _, t in numbered]).dropped.items():
            dropped[reason] = dropped.get(reason, 0) + n
    assert ingest(settings, [corpus], embedder=embedder).ok
    shutil.copytree(papers, settings.papers_dir, ignore=shutil.ignore_patterns("*.tsv", "*.md"))
    report, ingest_s = timed(lambda: ingest(settings, [settings.papers_dir], embedder=embedder))
    assert report.ok, report.failures
    out |= {
        "ingest_s": ingest_s,
        "pages_per_min": pages / ingest_s * 60,
        "chunks": report.added,
        "passages": report.passages_added,
        "embed_s": report.embed_seconds,
        # Paper chunks' vectors are the mean of their sentence runs': the runs are all that is embedded.
        "texts_per_s": report.passages_added / report.embed_seconds,
        "lines_dropped": dropped,
    }
    return out


def measure_observability(
    assistant: Assistant, items: Sequence[EvalItem], work: Path, rounds: int = 3
) -> dict[str, Any]:
    """The cost per `ask` of the query log and of the tracing (issue 17), against both turned off, in
    alternating passes over the same questions (extractive answers: the cheapest ask, so the largest
    share). Tracing exports through a BatchSpanProcessor, as the OTLP exporter does, to memory."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    questions = [i.question for i in items if i.answerable]

    def asker(log: bool, traced: bool) -> Callable[[str], object]:
        settings = assistant.settings.model_copy(update={"data_dir": work / f"obs-{log}-{traced}", "query_log": log})
        variant = Assistant(
            settings, embedder=assistant.embedder, store=assistant.store, tracer_provider=provider if traced else None
        )
        return lambda q: variant.ask(q, llm="extractive")

    searches = {
        "off": asker(False, False),
        "query log": asker(True, False),
        "tracing": asker(False, True),
        "both": asker(True, True),
    }
    out = paired_latency(questions, searches, rounds)
    provider.force_flush()
    log = work / "obs-True-False" / "queries.jsonl"
    out["spans_per_ask"] = len(exporter.get_finished_spans()) / (2 * rounds * len(questions))
    out["log_bytes_per_ask"] = log.stat().st_size / (rounds * len(questions)) if log.exists() else 0.0
    out["questions"] = len(questions)
    provider.shutdown()
    return out
