"""The papers group: scan (the papers the roadmaps link) and fetch (their PDFs)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from roadmap_rag.cli.console import _fail, _settings, _staged_progress, console, err
from roadmap_rag.errors import RoadmapRagError

if TYPE_CHECKING:
    from roadmap_rag.corpus.catalog import Catalog
    from roadmap_rag.corpus.paper_links import ScanResult
    from roadmap_rag.errors import InputFileError


papers_app = typer.Typer(help="The papers the roadmaps link: find them (scan) and download them (fetch).")


@papers_app.command("scan")
def papers_scan_cmd(
    write: Annotated[bool, typer.Option(help="Store each paper's roadmap sections in the catalog.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Find every paper the roadmaps refer to and resolve it through corpus/papers/catalog.yaml."""
    from roadmap_rag.corpus.paper_links import scan_corpus, write_places

    settings = _settings()
    try:
        catalog, result, errors = scan_corpus(settings)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    if as_json:
        papers = [
            {
                "id": p.id,
                "citation": p.citation,
                "arxiv": p.arxiv,
                "recommended_in": len(result.cited_by(p.id)),
                "named_in": len(result.mentioned_in(p.id)),
            }
            for p in catalog.papers
        ]
        unresolved = [{"doc": r.doc, "section": r.section, "text": r.text} for r in result.unresolved]
        print(json.dumps({"papers": papers, "unresolved": unresolved}, indent=2))
    else:
        _print_scan(catalog, result, errors)
    if write:
        changed = write_places(catalog, result)
        console.print(f"catalog: roadmap sections updated for {changed} papers in {catalog.path}")


def _print_scan(catalog: Catalog, result: ScanResult, errors: list[InputFileError]) -> None:
    table = Table("id", "paper", "arXiv", "recommended in", "named in", title=f"Catalog: {catalog.path}")
    for p in catalog.papers:
        cited, named = len(result.cited_by(p.id)), len(result.mentioned_in(p.id))
        table.add_row(p.id, escape(p.citation), p.arxiv or "-", str(cited), str(named))
    console.print(table)
    for error in errors:
        err.print(f"[red]skipped[/] {escape(str(error))}")
    for ref in result.unresolved:
        console.print(f"[yellow]unresolved[/] {escape(ref.text)!r} in {ref.doc} > {escape(ref.section)}")
    unused = [p.id for p in catalog.papers if not result.cited_by(p.id) and not result.mentioned_in(p.id)]
    resolved = len(result.explicit) - len(result.unresolved)
    console.print(
        f"scan: {len(result.explicit)} references in the roadmaps, {resolved} resolved to "
        f"{len(result.resolved_papers())} papers, {len(result.unresolved)} unresolved; "
        f"{len(catalog.papers)} papers in the catalog, {len(unused)} not named by any roadmap"
    )


@papers_app.command("fetch")
def papers_fetch_cmd(
    only: Annotated[list[str] | None, typer.Option("--only", help="Catalog ids (repeat the option).")] = None,
) -> None:
    """Download the papers' PDFs from arXiv into the data dir (politely, resumable), then index them."""
    from roadmap_rag.index.paper_fetch import fetch_papers

    settings = _settings()
    with _staged_progress() as on_progress:
        try:
            report = fetch_papers(settings, only or (), progress=on_progress)
        except RoadmapRagError as exc:
            raise _fail(exc) from exc
    not_tried = [o for o in report.outcomes if o.reason.startswith("not tried")]
    for outcome in report.outcomes:
        if outcome.status in ("failed", "skipped") and outcome not in not_tried:
            console.print(f"[yellow]{outcome.status}[/] {outcome.paper}: {escape(outcome.reason)}")
    if not_tried:
        console.print(f"[yellow]failed[/] {len(not_tried)} more, {escape(not_tried[0].reason)}")
    console.print(f"fetch: {report.summary()}; cache {settings.papers_dir}")
    if report.ingest is not None:
        console.print(f"ingest (papers only): {report.ingest.summary()}")
    else:
        console.print("ingest: no PDFs in the cache; the index is unchanged")
    raise typer.Exit(1 if report.failed else 0)
