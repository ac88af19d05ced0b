"""The `roadmap-rag` command: one module per command group over a shared console and error handling.
Takes argv; gives what each command did, in numbers. May import: anything (it is the top)."""

from roadmap_rag.cli.main import app

__all__ = ["app"]
