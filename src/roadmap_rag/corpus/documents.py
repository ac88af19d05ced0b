"""Files to documents: the manifest, the loaders (.md .txt .html .pdf) and normalisation."""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ftfy
import yaml

from roadmap_rag.corpus.pdf import read_paper
from roadmap_rag.corpus.pdf_streams import inflated_size
from roadmap_rag.errors import ConfigError, InputFileError
from roadmap_rag.files import resolved
from roadmap_rag.settings import Settings
from roadmap_rag.types import Kind

if TYPE_CHECKING:
    from bs4 import Tag

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.json")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ManifestEntry:
    id: str
    title: str
    kind: Kind
    path: Path  # absolute
    url: str | None = None
    aliases: tuple[str, ...] = ()  # how people name the document in a question


@dataclass(frozen=True)
class Document:
    """A normalised document; chunk offsets index into ``text``."""

    id: str
    title: str
    kind: Kind
    source: Path
    text: str
    url: str | None = None
    is_markdown: bool = False
    aliases: tuple[str, ...] = ()
    # (page number, start offset, end offset) for PDFs, in order.
    pages: tuple[tuple[int, int, int], ...] = field(default=())
    # PDFs: the bibliography's entries (what the paper cites), kept out of ``text``.
    references: tuple[str, ...] = field(default=(), compare=False)
    page_count: int = 0  # PDFs: every page, those left without text (the bibliography's) included

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def page_at(self, offset: int) -> int | None:
        for number, start, end in self.pages:
            if start <= offset < end:
                return number
        return self.pages[-1][0] if self.pages else None


_LOST_MIDDLE_BYTE = re.compile("\u00e2([\u0080-\u00ff\u0152-\u2122])")
_LONE_A_CIRCUMFLEX = re.compile("\u00e2(?=[\\s)\\]*_]|$)")
# Bytes that cp1252 cannot show: a UTF-8 sequence that contained one lost it.
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)


def _repair_lost_byte(match: re.Match[str]) -> str:
    """'â' + a cp1252 char whose middle byte was dropped: restore it when only one
    candidate is a symbol from the dingbat/emoji blocks (e.g. 'â—' -> '❗')."""
    try:
        last = match.group(1).encode("cp1252")
    except UnicodeEncodeError:
        return match.group(0)
    found = []
    for middle in _CP1252_UNDEFINED:
        try:
            char = bytes([0xE2, middle, last[0]]).decode("utf-8")
        except UnicodeDecodeError:
            continue
        if 0x2700 <= ord(char) <= 0x27BF or 0x2B00 <= ord(char) <= 0x2BFF:
            found.append(char)
    return found[0] if len(found) == 1 else match.group(0)


def normalise(text: str) -> str:
    """Repair mojibake and encoding debris; the result is what offsets refer to. Repeated until nothing changes
    (at most 4 passes): one ftfy pass can leave text that reads as mojibake again ("Ž¼" is U+07BC's bytes read
    as cp1252), and a document normalised twice must not move its offsets."""
    for _ in range(4):
        fixed = _normalise_once(text)
        if fixed == text:
            break
        text = fixed
    return text


def _normalise_once(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = ftfy.fix_text(text, normalization="NFC")
    if "\u00e2" in text:
        text = _LOST_MIDDLE_BYTE.sub(_repair_lost_byte, text)
        # What is left of an emoji whose last two bytes were lost cannot be rebuilt.
        text = _LONE_A_CIRCUMFLEX.sub("", text)
    text = _CONTROL.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return unicodedata.normalize("NFC", text).strip("\n")


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "document"


def load_manifest(corpus_dir: Path) -> dict[Path, ManifestEntry]:
    """Manifest entries keyed by resolved file path; an absent manifest is fine."""
    for name in MANIFEST_NAMES:
        path = corpus_dir / name
        if path.exists():
            break
    else:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML/JSON ({exc}); fix the file or remove it") from exc
    entries: dict[Path, ManifestEntry] = {}
    for i, item in enumerate(data.get("documents") or []):
        where = f"{path}: documents[{i}]"
        for key in ("id", "title", "path"):
            if not item.get(key):
                raise ConfigError(f"{where}: field '{key}' is missing; add it")
        kind = item.get("kind", Kind.ROADMAP)
        if kind not in (Kind.ROADMAP, Kind.PAPER):
            raise ConfigError(f"{where}: kind must be 'roadmap' or 'paper', not {kind!r}")
        aliases = item.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise ConfigError(f'{where}: aliases must be a list of names, e.g. ["curriculum"]')
        file = (corpus_dir / item["path"]).resolve()
        entries[file] = ManifestEntry(
            id=str(item["id"]),
            title=str(item["title"]),
            kind=Kind(kind),
            path=file,
            url=item.get("url"),
            aliases=tuple(a.strip() for a in aliases),
        )
    return entries


class LinkOutsideRoot(InputFileError):
    """A link in a folder being walked that leads out of it: skipped, never read (the corpus boundary)."""

    def __init__(self, link: Path, target: Path, root: Path) -> None:
        self.target = target
        super().__init__(
            link,
            f"is a link to {target}, outside {root}; nothing outside the folders ingested is read through a "
            f"link: copy the file in, or name it on the command line (roadmap-rag ingest {target})",
        )


LOOP_REASON = "is a symbolic link loop (it leads back to itself); remove the link or point it at a file"


def discover(paths: Iterable[Path], settings: Settings) -> tuple[list[Path], list[InputFileError]]:
    """Files to ingest under ``paths`` (sorted), plus one error per unusable path. A path named here may be a
    link to anywhere; inside a folder, a link is followed only where it stays in that folder."""
    files: list[Path] = []
    errors: list[InputFileError] = []
    for given in paths:
        root = resolved(given)
        if root is None:
            errors.append(InputFileError(given, LOOP_REASON))
        elif not root.exists():
            errors.append(InputFileError(given, "does not exist; check the path"))
        elif root.is_dir():
            walked, refused = _walk(root)
            files.extend(walked)
            errors.extend(refused)
        elif root.suffix.lower() in SUPPORTED_SUFFIXES:
            files.append(root)
        else:
            errors.append(
                InputFileError(root, f"unsupported file type '{root.suffix}'; use {', '.join(SUPPORTED_SUFFIXES)}")
            )
    files = sorted(set(files))
    if len(files) > settings.max_files:
        errors.append(
            InputFileError(
                paths_label(paths),
                f"{len(files)} files exceed max_files={settings.max_files}; "
                "ingest fewer paths or raise ROADMAP_RAG_MAX_FILES",
            )
        )
        files = files[: settings.max_files]
    return files, errors


def _walk(root: Path) -> tuple[list[Path], list[InputFileError]]:
    """The supported files under the resolved folder ``root``, links resolved; links out of it (or looping)
    refused. Links to folders are never descended (a folder inside is walked where it lies), so the walk
    cannot loop."""
    files: list[Path] = []
    refused: list[InputFileError] = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted([*dirs, *names]):
            path = Path(folder) / name
            target = resolved(path) if path.is_symlink() else path
            if target is None:
                refused.append(InputFileError(path, LOOP_REASON))
            elif target != root and root not in target.parents:
                if target.is_dir() or target.suffix.lower() in SUPPORTED_SUFFIXES:
                    refused.append(LinkOutsideRoot(path, target, root))
            elif target.is_file() and target.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(target)
    return files, refused


def paths_label(paths: Iterable[Path]) -> str:
    return ", ".join(str(p) for p in paths)


# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _read_text_file(path: Path, raw: bytes) -> str:
    """UTF-8, or UTF-16/32 announced by a byte-order mark; anything else gets a reason and what to do."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputFileError(
                    path,
                    f"starts with a {encoding.upper()} byte-order mark but is not valid {encoding.upper()} "
                    f"(byte {exc.start + len(bom)}); re-save it as UTF-8",
                ) from exc
    head = raw[:8192]
    if b"\x00" in head:
        if head.count(b"\x00") >= len(head) // 3:
            raise InputFileError(path, "looks like UTF-16 or UTF-32 without a byte-order mark; re-save it as UTF-8")
        raise InputFileError(path, "looks like a binary file (NUL bytes); only text, HTML and PDF are read")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8") from exc


_HTML_SKIPPED = frozenset({"script", "style", "noscript", "template"})
_HTML_BREAK_AFTER = frozenset({"p", "div", "br", "tr", "table", "ul", "ol"})
_HTML_HEADINGS = {f"h{level}": level for level in range(1, 7)}


def _html_to_text(html: str) -> str:
    """The page's text, headings as markdown ("<h2>" becomes "## ") for the chunker, a list item on a line
    of its own, a line break after blocks. One walk over the parsed tree with a stack of its own: linear in
    the page, and 50,000 nested tags neither recurse nor rewrite the tree (that was quadratic)."""
    from bs4 import BeautifulSoup, Tag

    out: list[str] = []
    stack: list[Any] = [BeautifulSoup(html, "html.parser")]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):  # text due after a tag's children
            out.append(node[0])
        elif _is_text(node):
            out.append(str(node))
        elif isinstance(node, Tag) and node.name not in _HTML_SKIPPED:
            if node.name in _HTML_HEADINGS:
                out.append(f"\n\n{'#' * _HTML_HEADINGS[node.name]} {' '.join(_html_strings(node))}\n\n")
                continue
            if node.name == "li":
                out.append("\n- ")
            if node.name in _HTML_BREAK_AFTER:
                stack.append(("\n",))
            stack.extend(reversed(node.contents))
    return "".join(out)


def _is_text(node: object) -> bool:
    """Text a reader sees: not a comment, a doctype or a processing instruction."""
    from bs4.element import CData, NavigableString

    return type(node) in (NavigableString, CData)


def _html_strings(tag: Tag) -> Iterator[str]:
    """The stripped, non-empty strings under ``tag`` in order, scripts and styles left out."""
    from bs4 import Tag

    stack: list[Any] = [tag]
    while stack:
        node = stack.pop()
        if _is_text(node):
            if text := str(node).strip():
                yield text
        elif isinstance(node, Tag) and node.name not in _HTML_SKIPPED:
            stack.extend(reversed(node.contents))


def _read_pdf(path: Path, settings: Settings) -> list[tuple[int, str]]:
    """The text of each page, by PDFium (pypdfium2): about 2 ms a page where pypdf took 30 (measured on the
    12 shared arXiv papers, 318 pages: 0.6 s against 9.9 s). Words hyphenated at a line's end are joined
    back by pdf.read_paper."""
    import pypdfium2 as pdfium

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror})") from exc
    limit = settings.max_pdf_inflated_bytes
    if inflated_size(data, limit) > limit:
        raise InputFileError(
            path,
            f"inflates to over max_pdf_inflated_bytes={limit:,} bytes (a decompression bomb?); "
            "if you trust the file, raise ROADMAP_RAG_MAX_PDF_INFLATED_BYTES to ingest it",
        )
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise InputFileError(path, "is an encrypted PDF; save an unencrypted copy to ingest it") from exc
        raise InputFileError(path, f"is not a readable PDF ({exc}); re-export or replace it") from exc
    try:
        if len(document) > settings.max_pdf_pages:
            raise InputFileError(
                path,
                f"has {len(document)} pages, over max_pdf_pages={settings.max_pdf_pages}; "
                "raise ROADMAP_RAG_MAX_PDF_PAGES to ingest it",
            )
        pages = [
            (i + 1, document[i].get_textpage().get_text_range().replace("\r\n", "\n")) for i in range(len(document))
        ]
    except pdfium.PdfiumError as exc:
        raise InputFileError(path, f"is not a readable PDF ({exc}); re-export or replace it") from exc
    finally:
        document.close()
    return pages


def load_document(path: Path, settings: Settings, entry: ManifestEntry | None = None) -> Document:
    """Read, decode and normalise one file; raise InputFileError with a reason."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror})") from exc
    if size == 0:
        raise InputFileError(path, "is empty; add content or remove it")
    if size > settings.max_file_bytes:
        raise InputFileError(
            path,
            f"is {size:,} bytes, over max_file_bytes={settings.max_file_bytes:,}; "
            "split it or raise ROADMAP_RAG_MAX_FILE_BYTES",
        )
    suffix = path.suffix.lower()
    pages: list[tuple[int, int, int]] = []
    references: tuple[str, ...] = ()
    page_count = 0
    if suffix == ".pdf":
        parts: list[str] = []
        offset = 0
        numbered = _read_pdf(path, settings)
        paper = read_paper([t for _, t in numbered])
        references, page_count = tuple(paper.references), len(numbered)
        for (number, _), page_text in zip(numbered, paper.pages, strict=True):
            page_text = normalise(page_text)
            if not page_text:
                continue
            if parts:
                offset += 2  # the "\n\n" joining pages
            pages.append((number, offset, offset + len(page_text)))
            parts.append(page_text)
            offset += len(page_text)
        text = "\n\n".join(parts)
    else:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputFileError(path, f"cannot be read ({exc.strerror})") from exc
        text = _read_text_file(path, raw)
        if suffix in (".html", ".htm"):
            text = _html_to_text(text)
        text = normalise(text)
    if not text.strip() and suffix == ".pdf":
        raise InputFileError(path, "has no text layer (a scanned PDF?); run OCR on it (e.g. ocrmypdf) or remove it")
    if not text.strip():
        raise InputFileError(path, "has no text, only whitespace or markup; add content or remove it")
    title = entry.title if entry else _guess_title(text, path)
    return Document(
        id=entry.id if entry else slugify(path.stem),
        title=title,
        kind=entry.kind if entry else (Kind.PAPER if suffix == ".pdf" else Kind.ROADMAP),
        source=path,
        text=text,
        url=entry.url if entry else None,
        is_markdown=suffix in (".md", ".markdown", ".html", ".htm", ".pdf"),  # PDFs: see pdf.read_paper
        pages=tuple(pages),
        aliases=entry.aliases if entry else (),
        references=references,
        page_count=page_count,
    )


def _guess_title(text: str, path: Path) -> str:
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:120]
    return path.stem


def iter_documents(
    files: Iterable[Path], settings: Settings, manifest: dict[Path, ManifestEntry]
) -> Iterator[Document | InputFileError]:
    """Documents in order; an unusable file yields its error instead of stopping the run."""
    seen_ids: dict[str, Path] = {}
    for path in files:
        try:
            doc = load_document(path, settings, manifest.get(path.resolve()))
        except InputFileError as exc:
            yield exc
            continue
        if doc.id in seen_ids:
            yield InputFileError(path, f"has the same document id '{doc.id}' as {seen_ids[doc.id]}; rename one of them")
            continue
        seen_ids[doc.id] = path
        yield doc
