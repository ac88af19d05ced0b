"""Download the catalog's papers from arXiv, politely, into a cache under the data dir.

One request at a time with a delay between them; retries with exponential backoff
after timeouts, dropped connections, 429 and 5xx; a size limit; a SHA-256 recorded
per file; an interrupted download resumes from its ``.part`` file with an HTTP Range
request. When the host cannot be reached at all (offline), the remaining papers are
not tried and each says why.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from roadmap_rag.corpus.catalog import Catalog, Paper, load_catalog
from roadmap_rag.errors import ConfigError
from roadmap_rag.files import file_sha256, read_json, write_json
from roadmap_rag.index.embeddings import Embedder
from roadmap_rag.settings import Settings

Status = Literal["fetched", "cached", "failed", "skipped"]
USER_AGENT = "roadmap-rag/0.1 (local study assistant; one request at a time)"
RECORD_NAME = "fetched.json"


@dataclass
class FetchOutcome:
    paper: str
    status: Status
    reason: str = ""
    path: Path | None = None
    bytes: int = 0
    sha256: str | None = None
    attempts: int = 0
    resumed: bool = False


@dataclass
class FetchReport:
    outcomes: list[FetchOutcome] = field(default_factory=list)
    seconds: float = 0.0
    ingest: Any = None  # the IngestReport of the papers' ingest, when one ran

    def count(self, status: Status) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> list[FetchOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def summary(self) -> str:
        return (
            f"{len(self.outcomes)} papers: {self.count('fetched')} fetched, {self.count('cached')} cached, "
            f"{self.count('failed')} failed, {self.count('skipped')} skipped; {self.seconds:.1f} s"
        )


class _Retry(Exception):
    """A failure worth another try (timeout, dropped connection, 429, 5xx)."""


class _Fail(Exception):
    """A failure another try will not fix (404, not a PDF, too large)."""


class _Unreachable(Exception):
    """The host cannot be reached at all."""


def check_pdf(path: Path) -> str | None:
    """Why ``path`` is not a usable PDF, or None when it is."""
    with path.open("rb") as fh:
        head = fh.read(5)
    if head != b"%PDF-":
        return f"is not a PDF (it starts with {head!r}; an error page?)"
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        return f"is a corrupt PDF ({exc})"
    try:
        pages = len(document)
    finally:
        document.close()
    return None if pages else "is a PDF without pages"


class Fetcher:
    def __init__(
        self,
        settings: Settings,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.dir = settings.papers_dir
        self.client = client or httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=True)
        self.sleep = sleep
        self._requests = 0
        self._unreachable: dict[str, str] = {}

    @property
    def record_path(self) -> Path:
        return self.dir / RECORD_NAME

    def record(self) -> dict[str, dict[str, Any]]:
        record = read_json(self.record_path)
        return record if isinstance(record, dict) else {}

    def _save_record(self, record: dict[str, dict[str, Any]]) -> None:
        write_json(self.record_path, record, sort_keys=True)

    def url(self, paper: Paper) -> str:
        return self.settings.papers_url.format(arxiv=paper.arxiv, id=paper.id)

    def fetch(self, papers: Sequence[Paper], progress: Callable[[int, int], None] | None = None) -> list[FetchOutcome]:
        self.dir.mkdir(parents=True, exist_ok=True)
        outcomes = []
        for i, paper in enumerate(papers, start=1):
            outcomes.append(self._one(paper))
            if progress:
                progress(i, len(papers))
        return outcomes

    def _one(self, paper: Paper) -> FetchOutcome:
        if not paper.arxiv:
            where = paper.link or "its publisher"
            return FetchOutcome(paper.id, "skipped", f"not on arXiv; save its PDF from {where} by hand")
        target = self.dir / f"{paper.arxiv}.pdf"
        record = self.record()
        known = record.get(paper.arxiv)
        if target.exists() and known and known.get("sha256") == file_sha256(target):
            return FetchOutcome(paper.id, "cached", path=target, bytes=target.stat().st_size, sha256=known["sha256"])
        url = self.url(paper)
        host = urlsplit(url).netloc
        if host in self._unreachable:
            return FetchOutcome(paper.id, "failed", f"not tried: {host} unreachable ({self._unreachable[host]})")
        outcome = FetchOutcome(paper.id, "failed")
        part = target.with_name(target.name + ".part")
        outcome.resumed = part.exists() and part.stat().st_size > 0
        retries = self.settings.papers_retries
        for attempt in range(retries + 1):
            outcome.attempts = attempt + 1
            try:
                resumed = self._download(url, part)
                outcome.resumed = outcome.resumed or resumed
                break
            except _Fail as exc:
                outcome.reason = str(exc)
                part.unlink(missing_ok=True)
                return outcome
            except (_Retry, _Unreachable) as exc:
                outcome.reason = str(exc)
                if attempt == retries:
                    if isinstance(exc, _Unreachable):
                        self._unreachable[host] = str(exc)
                    return outcome
                self.sleep(self.settings.papers_backoff * 2**attempt)
        if problem := check_pdf(part):
            part.unlink(missing_ok=True)
            outcome.reason = f"{url} {problem}"
            return outcome
        os.replace(part, target)
        outcome.status, outcome.reason, outcome.path = "fetched", "", target
        outcome.bytes, outcome.sha256 = target.stat().st_size, file_sha256(target)
        record = self.record()
        record[paper.arxiv] = {
            "paper": paper.id,
            "url": url,
            "sha256": outcome.sha256,
            "bytes": outcome.bytes,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self._save_record(record)
        return outcome

    def _download(self, url: str, part: Path) -> bool:
        """Fetch ``url`` into ``part``, continuing what is there; True if it resumed."""
        if self._requests:
            self.sleep(self.settings.papers_delay)
        self._requests += 1
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        limit = self.settings.papers_max_bytes
        timeout = self.settings.papers_timeout
        try:
            with self.client.stream("GET", url, headers=headers, timeout=timeout) as response:
                code = response.status_code
                if code == 416:
                    part.unlink(missing_ok=True)
                    raise _Retry(f"{url}: the server refused to resume (HTTP 416); starting over")
                if code == 429 or code >= 500:
                    raise _Retry(f"{url}: HTTP {code} from the server")
                if code not in (200, 206):
                    raise _Fail(f"{url}: HTTP {code}" + (" (no such paper there)" if code == 404 else ""))
                resumed = code == 206 and offset > 0
                start = offset if resumed else 0
                length = response.headers.get("Content-Length")
                if length is not None and start + int(length) > limit:
                    raise _Fail(
                        f"{url} is {start + int(length):,} bytes, over papers_max_bytes={limit:,}; "
                        "raise ROADMAP_RAG_PAPERS_MAX_BYTES to fetch it"
                    )
                received = start
                with part.open("ab" if resumed else "wb") as fh:
                    for block in response.iter_bytes():  # as they arrive, so a drop keeps them
                        received += len(block)
                        if received > limit:
                            raise _Fail(f"{url} sent more than papers_max_bytes={limit:,} bytes; stopped")
                        fh.write(block)
                return resumed
        except httpx.ConnectError as exc:
            raise _Unreachable(f"cannot connect to {urlsplit(url).netloc}: {exc}; offline?") from exc
        except httpx.TimeoutException as exc:
            raise _Retry(f"{url}: no data for {timeout:g} s (timeout); the part received is kept") from exc
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise _Retry(f"{url}: connection dropped ({exc}); will resume from the part received") from exc

    def close(self) -> None:
        self.client.close()


def check_papers_url(template: str) -> None:
    """Refuse a papers URL that is not http(s) (ftp://, file://, a bare host) before anything is fetched."""
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"papers_url {template!r} is not an http:// or https:// URL; set ROADMAP_RAG_PAPERS_URL "
            "(or papers_url in roadmap-rag.toml) to one such as https://arxiv.org/pdf/{arxiv}"
        )


def select(catalog: Catalog, only: Sequence[str] = ()) -> list[Paper]:
    if not only:
        return list(catalog.papers)
    unknown = [i for i in only if catalog.get(i) is None]
    if unknown:
        raise ConfigError(
            f"unknown paper id(s): {', '.join(unknown)}; `roadmap-rag papers scan` lists the catalog's ids"
        )
    return [p for p in catalog.papers if p.id in only]


def fetch_papers(
    settings: Settings,
    only: Sequence[str] = (),
    *,
    progress: Callable[[str, int, int], None] | None = None,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    embedder: Embedder | None = None,
) -> FetchReport:
    """Fetch the selected papers, then ingest every PDF in the cache (the roadmaps are not touched)."""
    from roadmap_rag.index.ingest import ingest

    started = time.perf_counter()
    check_papers_url(settings.papers_url)
    papers = select(load_catalog(settings.papers_catalog), only)
    fetcher = Fetcher(settings, client, sleep)
    try:
        outcomes = fetcher.fetch(papers, (lambda d, t: progress("fetching", d, t)) if progress else None)
    finally:
        if client is None:
            fetcher.close()
    report = FetchReport(outcomes=outcomes)
    if any(settings.papers_dir.glob("*.pdf")):
        report.ingest = ingest(settings, [settings.papers_dir], embedder=embedder, progress=progress)
    report.seconds = time.perf_counter() - started
    return report
