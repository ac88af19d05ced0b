"""Hostile input, property-based: random bytes and unicode through the loaders, the normaliser and the
chunker. Nothing crashes except with our own InputFileError, and chunk offsets always slice back to the text."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmap_rag.corpus.chunking import chunk_document
from roadmap_rag.corpus.documents import Document, load_document, normalise
from roadmap_rag.errors import InputFileError
from roadmap_rag.settings import Settings

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)

TRIED: dict[str, int] = {}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text that looks like a roadmap: headings, list markers, mojibake fragments, emoji, controls, RTL.
ROADMAP_BITS = st.sampled_from(
    [
        "\n",
        "\n\n",
        "# ",
        "## ",
        "1. ",
        "1.2 ",
        "- ",
        "* ",
        "Resource: ",
        "â€™",
        "â€”",
        "ðŸ‘‰",
        "\u200b",
        "\r\n",
        "\x00",
        "\x1b[31m",
        "\u202e",
        "é",
        "👉",
        "Transformers",
        "LoRA",
        "|",
        "```",
        "<script>",
        "[1]",
        " " * 40,
    ]
)
TEXT = st.lists(st.one_of(ROADMAP_BITS, st.text(max_size=30)), max_size=80).map("".join)


def _check_chunks(doc: Document, size: int = 200, maximum: int = 400) -> None:
    chunks = chunk_document(doc, chunk_size=size, chunk_max=maximum)
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip() and len(chunk.text) <= maximum
    assert len({c.id for c in chunks}) == len(chunks)


@FUZZ
@given(TEXT)
def test_normalise_is_total_and_idempotent(text: str) -> None:
    TRIED["normalise"] = TRIED.get("normalise", 0) + 1
    once = normalise(text)
    assert isinstance(once, str) and "\x00" not in once
    assert normalise(once) == once


@FUZZ
@given(TEXT, st.booleans())
def test_chunk_offsets_slice_back_to_the_text(text: str, markdown: bool) -> None:
    TRIED["chunker"] = TRIED.get("chunker", 0) + 1
    clean = normalise(text)
    if not clean.strip():
        return
    doc = Document(id="fuzz", title="Fuzz", kind="roadmap", source=Path("fuzz.md"), text=clean, is_markdown=markdown)
    _check_chunks(doc)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from([".txt", ".md", ".html", ".pdf"]))
def test_loaders_accept_or_refuse_random_bytes_cleanly(raw: bytes, suffix: str) -> None:
    TRIED["loaders"] = TRIED.get("loaders", 0) + 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"random{suffix}"
        path.write_bytes(raw)
        try:
            doc = load_document(path, Settings(data_dir=Path(tmp) / "data"))
        except InputFileError as exc:
            assert str(path) in str(exc) and exc.reason  # names the file and says why
            return
        assert doc.text.strip()
        _check_chunks(doc)


def test_record_what_was_fuzzed(ledger) -> None:
    """Runs after the properties above (file order) and records how many inputs each one tried."""
    if not TRIED:
        pytest.skip("run with the fuzz tests above")
    tried = ", ".join(f"{name}: {n} inputs" for name, n in TRIED.items())
    ledger.add(
        "hostile input",
        "hypothesis: random unicode through normalise, chunker; random bytes as .txt/.md/.html/.pdf",
        f"{tried}; no crash, offsets slice back, errors name the file",
    )
