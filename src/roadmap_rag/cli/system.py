"""The setup commands: config (the settings in effect) and doctor (whether the install works)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Column, Table

from roadmap_rag import redact
from roadmap_rag.cli.console import _settings, console
from roadmap_rag.settings import origin_summary, origins


def config_cmd(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the effective settings, each from the environment (ROADMAP_RAG_*), roadmap-rag.toml or its default;
    tokens and the credentials in addresses are shown as ***."""
    settings = _settings()
    values = {name: redact.setting(name, value) for name, value in settings.model_dump(mode="json").items()}
    if as_json:
        print(json.dumps(values, indent=2))
        return
    where = origins()
    table = Table("setting", "env variable", Column("value", overflow="fold"), "from", title="roadmap-rag settings")
    for name, value in values.items():
        table.add_row(name, f"ROADMAP_RAG_{name.upper()}", escape(repr(value)), where[name])
    console.print(table)
    console.print(escape(origin_summary()), highlight=False, soft_wrap=True)


def doctor_cmd(
    repair: Annotated[bool, typer.Option(help="Rebuild what is inconsistent (index, damaged GGUF).")] = False,
) -> None:
    """Check Python, packages, models, Ollama, the data dir and the index; exit 1 if something is broken."""
    from roadmap_rag.cli.doctor import run_checks

    colours = {"ok": "green", "warn": "yellow", "fail": "red"}
    table = Table("check", "status", "detail", "fix", title="roadmap-rag doctor")
    with console.status("checking...") as spinner:
        checks = run_checks(_settings(), repair, on_check=lambda c: spinner.update(f"checked {c.name}"))
    for c in checks:
        table.add_row(c.name, f"[{colours[c.status]}]{c.status}[/]", escape(c.detail), escape(c.fix))
    console.print(table)
    failed = [c.name for c in checks if c.status == "fail"]
    console.print(f"{len(checks)} checks: {len(checks) - len(failed)} passed or warned, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)
