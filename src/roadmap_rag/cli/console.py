"""What every command shares: the consoles, our errors as a sentence and an exit code, the settings, progress bars
and the --llm option."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from typer.core import TyperOption

from roadmap_rag.answer.generation import backend_names
from roadmap_rag.errors import ConfigError, RoadmapRagError
from roadmap_rag.settings import Settings


class _Console(Console):
    """Long lines wrapped on word boundaries at a terminal's width (or $COLUMNS), never cut mid-word by the
    terminal; piped output keeps one line per paragraph, for grep."""

    @property
    def soft_wrap(self) -> bool:
        return not (self.is_terminal or self._environ.get("COLUMNS"))

    @soft_wrap.setter
    def soft_wrap(self, value: bool) -> None:  # Console.__init__ sets it; the property decides
        pass


console = _Console()
err = _Console(stderr=True)


def _flag_type(self: TyperOption, ctx: Any) -> str | None:
    """A flag (--json) shows as a flag in --help, with no <bool> placeholder."""
    return None if self.is_flag and not self.count else _option_type(self, ctx)


_option_type = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]


def _fail(exc: RoadmapRagError, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
    return typer.Exit(code)


def _settings() -> Settings:
    """The settings, or exit 2 with what is wrong in them (an unknown key, a value out of range)."""
    try:
        return Settings()
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise _fail(ConfigError(f"invalid settings ({problems}); see `roadmap-rag config`")) from exc


_BAR_COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


@contextmanager
def _staged_progress(disable: bool = False) -> Iterator[Callable[[str, int, int], None]]:
    """One bar per stage, for the library's (stage, done, total) progress callbacks."""
    with Progress(*_BAR_COLUMNS, console=err, transient=True, disable=disable) as progress:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update


LLMOption = Annotated[str | None, typer.Option("--llm", help=f"{backend_names()} (default: setting llm).")]
