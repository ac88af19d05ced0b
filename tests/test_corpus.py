"""Loading and normalising files: mojibake repair, the manifest, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap_rag.corpus import discover, iter_documents, load_document, load_manifest, normalise
from roadmap_rag.errors import ConfigError, InputFileError
from roadmap_rag.settings import Settings

from .conftest import CORPUS
from .pdfs import write_pdf

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)


def test_mojibake_in_the_shipped_roadmap_is_repaired() -> None:
    raw = (CORPUS / "roadmaps/core-llm-roadmap.md").read_text(encoding="utf-8")
    assert "â€”" in raw and "ðŸ‘‰" in raw  # the file is stored as it came
    text = normalise(raw)
    assert "A **complete Core LLM roadmap** — from tokens" in text
    assert "👉 [See README.md" in text
    assert "❗ *Hugging Face + CS224n" in text
    assert "â" not in text and "ð" not in text


def test_normalise_keeps_clean_text_and_fixes_line_endings() -> None:
    assert normalise("Déjà vu — naïve café\r\nline two  \r\n\r\n\r\n\r\nend") == (
        "Déjà vu — naïve café\nline two\n\nend"
    )


def test_manifest_gives_ids_titles_kinds_and_provenance() -> None:
    entries = load_manifest(CORPUS)
    assert len(entries) == 5
    ids = {e.id for e in entries.values()}
    assert "core-llm-roadmap" in ids and "complete-llm-roadmap" in ids
    assert all(e.kind == "roadmap" and e.path.exists() for e in entries.values())


def test_manifest_with_missing_field_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text("documents:\n  - id: x\n    path: a.md\n")
    with pytest.raises(ConfigError, match=r"documents\[0\]: field 'title' is missing"):
        load_manifest(tmp_path)


def _error_for(path: Path, settings: Settings) -> InputFileError:
    with pytest.raises(InputFileError) as info:
        load_document(path, settings)
    assert info.value.path == path
    return info.value


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "is empty"),
        ("binary.txt", b"\x7fELF\x02\x01\x00\x00\x00binary", "binary"),
        ("latin1.txt", "Caf\xe9 au lait".encode("latin-1"), "not valid UTF-8 (byte 3)"),
        ("blank.md", b"   \n\n  \n", "no text"),
    ],
)
def test_bad_text_files_get_one_clear_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert reason in _error_for(path, Settings(data_dir=tmp_path)).reason


def test_oversize_file_names_the_limit_and_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 100)
    error = _error_for(path, Settings(data_dir=tmp_path, max_file_bytes=100))
    assert "max_file_bytes=100" in error.reason and "ROADMAP_RAG_MAX_FILE_BYTES" in error.reason


def test_corrupt_and_encrypted_pdfs_are_reported(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n" + b"garbage" * 50)
    assert "not a readable PDF" in _error_for(corrupt, Settings(data_dir=tmp_path)).reason
    encrypted = tmp_path / "locked.pdf"
    write_pdf(encrypted, ["secret page"], password="pw")
    assert "encrypted PDF" in _error_for(encrypted, Settings(data_dir=tmp_path)).reason


def test_pdf_text_keeps_page_numbers(tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    write_pdf(path, ["Intro page about adapters.", "Low-rank updates are on page two.", "Results."])
    doc = load_document(path, Settings(data_dir=tmp_path))
    assert doc.kind == "paper"
    offset = doc.text.index("Low-rank updates")
    assert doc.page_at(offset) == 2
    assert [p[0] for p in doc.pages] == [1, 2, 3]


def test_html_headings_become_structure(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><style>p{}</style><script>alert(1)</script></head><body>"
        "<h1>Guide</h1><h2>Fine-tuning</h2><p>Use <b>LoRA</b> adapters.</p></body></html>"
    )
    doc = load_document(path, Settings(data_dir=tmp_path))
    assert "## Fine-tuning" in doc.text and "Use LoRA adapters." in doc.text
    assert "alert" not in doc.text and doc.is_markdown


def test_discover_reports_missing_paths_and_unsupported_types(tmp_path: Path) -> None:
    (tmp_path / "notes.docx").write_bytes(b"PK")
    (tmp_path / "ok.md").write_text("# Hi\ntext")
    files, errors = discover(
        [tmp_path / "ok.md", tmp_path / "nope", tmp_path / "notes.docx"], Settings(data_dir=tmp_path)
    )
    assert files == [(tmp_path / "ok.md").resolve()]
    reasons = {e.path.name: e.reason for e in errors}
    assert "does not exist" in reasons["nope"]
    assert "unsupported file type '.docx'" in reasons["notes.docx"]


def test_duplicate_document_ids_are_reported_not_merged(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a/guide.md").write_text("# A\nfirst")
    (tmp_path / "b/guide.md").write_text("# B\nsecond")
    settings = Settings(data_dir=tmp_path)
    files, _ = discover([tmp_path], settings)
    items = list(iter_documents(files, settings, {}))
    assert sum(isinstance(i, InputFileError) for i in items) == 1
    assert "same document id 'guide'" in next(i for i in items if isinstance(i, InputFileError)).reason
