"""Loading and normalising files: mojibake repair, the manifest, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap_rag.corpus.documents import discover, iter_documents, load_document, load_manifest, normalise
from roadmap_rag.errors import ConfigError, InputFileError
from roadmap_rag.settings import Settings
from tests.conftest import CORPUS
from tests.pdfs import write_flate_bomb, write_pdf

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


# -- hostile input: encodings, blank files, links out of the corpus, link loops ---------------------------
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_text_file_with_a_unicode_bom_is_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "notes.md"
    text = "# Déjà vu\nLoRA adapters — naïve and cheap."
    bom = {"utf-16-be": "\ufeff"}.get(encoding, "")  # utf-16 and utf-32 write their BOM themselves
    path.write_bytes((bom + text).encode(encoding))
    doc = load_document(path, Settings(data_dir=tmp_path))
    assert doc.text == text and doc.title == "Déjà vu"


def test_utf16_without_a_bom_is_named_as_such_not_binary(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("Attention is all you need".encode("utf-16-le"))
    reason = _error_for(path, Settings(data_dir=tmp_path)).reason
    assert "UTF-16" in reason and "binary" not in reason and "UTF-8" in reason


def test_a_whitespace_only_text_file_is_not_asked_about_scanned_pdfs(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_text(" \n\t\n   \n")
    reason = _error_for(path, Settings(data_dir=tmp_path)).reason
    assert "PDF" not in reason and "whitespace" in reason and "add content or remove it" in reason


def _outside_secret(tmp_path: Path) -> Path:
    outside = tmp_path / "home" / ".aws"
    outside.mkdir(parents=True)
    secret = outside / "credentials.md"
    secret.write_text("# Credentials\naws_secret_access_key = hunter2-do-not-index\n")
    return secret


def test_a_link_out_of_the_corpus_is_skipped_with_the_link_and_its_target(tmp_path: Path) -> None:
    secret = _outside_secret(tmp_path)
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "guide.md").write_text("# Guide\nLoRA adapters.")
    (corpus / "notes.md").symlink_to(secret)
    (corpus / "sub" / "shared").symlink_to(secret.parent, target_is_directory=True)
    (corpus / "alias.md").symlink_to(corpus / "guide.md")  # a link inside the corpus is fine
    files, errors = discover([corpus], Settings(data_dir=tmp_path))
    assert files == [(corpus / "guide.md").resolve()]
    by_link = {e.path: e.reason for e in errors}
    assert set(by_link) == {corpus / "notes.md", corpus / "sub" / "shared"}
    for reason in by_link.values():
        assert str(secret.parent) in reason and "outside" in reason and "copy" in reason
    # Named on the command line, the same file is read: the user chose it.
    assert discover([corpus / "notes.md"], Settings(data_dir=tmp_path))[0] == [secret.resolve()]


def test_a_document_stored_through_a_link_out_of_the_corpus_is_removed(tmp_path: Path) -> None:
    from roadmap_rag.index.ingest import ingest
    from tests.fakes import HashingEmbedder, MemoryStore

    secret = _outside_secret(tmp_path)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "guide.md").write_text("# Guide\nLoRA adapters.")
    (corpus / "credentials.md").symlink_to(secret)
    settings, embedder, store = (
        Settings(data_dir=tmp_path / "data", corpus_dir=corpus),
        HashingEmbedder(),
        MemoryStore(),
    )

    report = ingest(settings, embedder=embedder, store=store)
    assert "credentials" not in store.doc_sources() and "guide" in store.doc_sources()
    [failure] = report.failures
    assert failure.path == corpus / "credentials.md" and str(secret) in failure.reason

    # What an index built before the boundary holds: the target stored under the link's name.
    ingest(settings, [corpus / "credentials.md"], embedder=embedder, store=store)
    assert store.doc_sources()["credentials"] == str(secret.resolve())
    report = ingest(settings, embedder=embedder, store=store)
    assert "credentials" not in store.doc_sources() and report.documents_removed == 1
    assert all("hunter2" not in c.text for c in store.all_chunks())


def test_a_symlink_loop_is_named_not_a_traceback(tmp_path: Path) -> None:
    from roadmap_rag.index.ingest import collect

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "guide.md").write_text("# Guide\nLoRA adapters.")
    (corpus / "loop.md").symlink_to(corpus / "loop.md")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    found = collect(Settings(data_dir=tmp_path / "data", corpus_dir=corpus), [corpus, tmp_path / "a"])
    assert found.files == [(corpus / "guide.md").resolve()]
    reasons = {f.path: f.reason for f in found.failures}
    assert set(reasons) == {corpus / "loop.md", tmp_path / "a"}
    assert all("loop" in r and "remove" in r for r in reasons.values())


def test_a_pdf_that_inflates_past_the_limit_is_refused_by_name(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, max_pdf_inflated_bytes=5_000_000)
    small = write_flate_bomb(tmp_path / "small.pdf", 1_000_000, text="Inflated text")
    assert "Inflated text" in load_document(small, settings).text  # within the limit: read as before
    bomb = write_flate_bomb(tmp_path / "bomb.pdf", 20_000_000)
    assert bomb.stat().st_size < 100_000
    reason = _error_for(bomb, settings).reason
    assert "max_pdf_inflated_bytes=5,000,000" in reason and "ROADMAP_RAG_MAX_PDF_INFLATED_BYTES" in reason
