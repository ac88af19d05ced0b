"""The serving commands: app (Streamlit), mcp and serve (the HTTP API)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from roadmap_rag.api import Assistant
from roadmap_rag.cli.console import _fail, _settings, console, err
from roadmap_rag.errors import RoadmapRagError
from roadmap_rag.index.state import index_status


def app_script() -> Path:
    """app/streamlit_app.py of this checkout (the package is installed editable from it), or of the cwd."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[3]):  # src/roadmap_rag/cli/ -> the checkout
        script = root / "app" / "streamlit_app.py"
        if script.is_file():
            return script
    raise RoadmapRagError("app/streamlit_app.py not found; run `roadmap-rag app` from the roadmap-rag checkout")


def streamlit_command(script: Path, host: str, port: int) -> list[str]:
    options = {
        "server.address": host,
        "server.port": port,
        "server.headless": "true",
        "browser.gatherUsageStats": "false",
        "server.fileWatcherType": "none",
        "client.toolbarMode": "viewer",
    }
    flags = [part for name, value in options.items() for part in (f"--{name}", str(value))]
    return [sys.executable, "-m", "streamlit", "run", str(script), *flags]


def app_cmd(
    host: Annotated[str, typer.Option(help="Interface to listen on; keep 127.0.0.1 unless you mean to share.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port for the app.")] = 8501,
) -> None:
    """Start the Streamlit chat app for learners and print its URL."""
    import os

    try:
        script = app_script()
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    status = index_status(_settings())
    if not status.chunks:
        err.print("[yellow]The index is empty:[/] run `roadmap-rag ingest` first (or use the app's re-ingest button).")
    console.print(f"roadmap-rag app: http://{host}:{port}  (index: {status.chunks} chunks; Ctrl+C stops it)")
    console.file.flush()
    command = streamlit_command(script, host, port)
    # Become the Streamlit server (same process id), so stopping this command stops the server.
    os.execv(command[0], command)


HostOption = Annotated[str, typer.Option(help="Interface to listen on; keep 127.0.0.1 unless you mean to share.")]


def mcp_cmd(
    http: Annotated[bool, typer.Option("--http", help="Streamable HTTP at http://HOST:PORT/mcp, not stdio.")] = False,
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for --http.")] = 8765,
) -> None:
    """Run the Model Context Protocol server (tools: ask, retrieve, outline, path, quiz); stdio by default."""
    from roadmap_rag.serve.mcp import run

    try:
        assistant = Assistant(_settings())
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    if http:
        err.print(f"roadmap-rag MCP server: http://{host}:{port}/mcp  (Ctrl+C stops it)")
    run(assistant, "http" if http else "stdio", host, port)


def serve_cmd(host: HostOption = "127.0.0.1", port: Annotated[int, typer.Option(help="Port.")] = 8000) -> None:
    """Run the HTTP API (POST /ask, POST /retrieve, GET /status, GET /healthz; OpenAPI at /docs)."""
    from roadmap_rag.serve.guards import reach_warning
    from roadmap_rag.serve.http_api import serve

    try:
        settings = _settings()
        assistant = Assistant(settings)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    token = "bearer token required" if settings.api_token else "no token (set ROADMAP_RAG_API_TOKEN to require one)"
    console.print(f"roadmap-rag API: http://{host}:{port}  (OpenAPI: /docs; {token}; Ctrl+C stops it)")
    if warning := reach_warning(settings, host):
        err.print(f"[yellow]note:[/] {escape(warning)}")
    console.file.flush()
    serve(assistant, host, port)
