"""The index commands: ingest and status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from roadmap_rag import redact
from roadmap_rag.cli.console import _fail, _settings, _staged_progress, console, err
from roadmap_rag.errors import RoadmapRagError
from roadmap_rag.index.ingest import ingest
from roadmap_rag.index.state import index_status, read_state
from roadmap_rag.serve.display import kind_summary
from roadmap_rag.settings import origin_summary, origins, settings_file


def ingest_cmd(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: the corpus).")] = None,
    rebuild: Annotated[bool, typer.Option(help="Drop the index and embed everything again.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="A line per document written.")] = False,
) -> None:
    """Chunk, embed and index documents; only what changed is embedded again."""
    settings = _settings()
    with _staged_progress(disable=as_json) as bars:

        def on_progress(stage: str, done: int, total: int) -> None:
            if verbose and stage == "written":
                print(f"written {done}/{total} documents", flush=True)
            bars(stage, done, total)

        try:
            report = ingest(settings, paths or None, rebuild=rebuild, progress=on_progress)
        except RoadmapRagError as exc:
            raise _fail(exc) from exc
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for failure in report.failures:
            err.print(f"[red]skipped[/] {escape(str(failure))}")
        texts = report.added + report.passages_added
        throughput = (
            f"; embedded {report.added} chunks + {report.passages_added} passages "
            f"({texts / report.embed_seconds:.1f} texts/s)"
            if report.added
            else ""
        )
        console.print(f"ingest: {report.summary()}{throughput}")
        state = read_state(settings)
        console.print(f"index: {kind_summary(state.get('documents', {}))} in {settings.store_location}")
    raise typer.Exit(0 if report.ok else 1)


def status_cmd(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """What is indexed: documents, chunks, embedding model, store location, and where the settings came from."""
    settings = _settings()
    if not as_json:  # first: a roadmap-rag.toml that redirects the store may be why the next lines fail
        console.print(escape(origin_summary()), highlight=False, soft_wrap=True)
    try:
        status = index_status(settings)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    if as_json:
        where = {"file": str(settings_file() or ""), "from": {n: o for n, o in origins().items() if o != "default"}}
        print(
            json.dumps(
                status.__dict__ | {"store": redact.redact(status.store), "settings": where}, indent=2, default=str
            )
        )
        return
    table = Table("document", "kind", "chunks", "title", title="Indexed documents")
    for doc_id, info in sorted(status.documents.items()):
        table.add_row(doc_id, info["kind"], str(info["chunks"]), escape(info["title"]))
    console.print(table)
    console.print(f"chunks in store: {status.chunks} ({kind_summary(status.documents)})")
    console.print(f"embedding model: {status.embedding_model}")
    console.print(f"store: {escape(redact.redact(status.store))}")
    console.print(f"lexical: {escape(status.lexical)}")
    if status.last_ingest:
        console.print(f"last ingest: {status.last_ingest['at']} ({status.last_ingest['seconds']:.2f} s)")
    else:
        console.print("last ingest: never; run `roadmap-rag ingest`")
