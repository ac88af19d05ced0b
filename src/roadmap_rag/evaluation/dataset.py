"""The golden question set: load it, validate it, and decide which sources contain a reference quote."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from roadmap_rag.errors import InputFileError
from roadmap_rag.text.words import contains as contains
from roadmap_rag.text.words import fold as fold

TYPES = ("factual", "list", "learning-path", "cross-document", "paraphrase", "about", "paper", "unanswerable")
DEFAULT_DATASET = Path("eval/datasets/roadmap_qa.jsonl")
DEFAULT_REPLAY = Path("eval/datasets/replay.jsonl")  # recorded model answers: `roadmap-rag eval --replay`


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    type: str
    reference: str
    contexts: tuple[str, ...] = ()  # quotes from the corpus that contain the answer
    doc_ids: tuple[str, ...] = ()
    # Key facts a correct answer states: each a group of alternatives, any of which counts.
    facts: tuple[tuple[str, ...], ...] = ()
    extra: dict[str, object] = field(default_factory=dict, compare=False)
    page: int | None = None  # questions on a paper's text: the PDF page that holds the fact
    pages: tuple[int, ...] = ()  # every page that holds it (the abstract and the results may both)

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


def load_dataset(path: Path | str) -> list[EvalItem]:
    """Read a JSONL dataset; every problem names the line and field so it can be fixed."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "the dataset file does not exist; pass --dataset PATH to a JSONL file")
    items: list[EvalItem] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = _item(line, f"line {number}")
        except ValueError as exc:
            raise InputFileError(path, str(exc)) from exc
        if item.id in seen:
            raise InputFileError(path, f"line {number}: id {item.id!r} is used twice; ids must be unique")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise InputFileError(path, "the dataset has no questions")
    return items


_KNOWN = {"id", "question", "type", "reference", "contexts", "doc_ids", "facts", "page", "pages", "draft"}


def _item(line: str, where: str) -> EvalItem:
    """One JSONL line as an item; ValueError saying what is wrong where."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not valid JSON ({exc.msg}); fix or remove that line") from exc
    if not isinstance(row, dict):
        raise ValueError(f"{where} must be a JSON object")
    if row.get("draft"):
        raise ValueError(
            f"{where} ({row.get('question', '')!r}) is a draft from `roadmap-rag eval import-feedback`: write its "
            "'reference', quote the corpus in 'contexts', list the key 'facts', set 'type', then remove "
            '"draft": true; the eval scores completed questions only'
        )
    for key in ("id", "question", "type", "reference"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise ValueError(f"{where}: field '{key}' is missing or not a non-empty string")
    if row["type"] not in TYPES:
        raise ValueError(f"{where}: field 'type' is {row['type']!r}; use one of {', '.join(TYPES)}")
    contexts = row.get("contexts", [])
    if not isinstance(contexts, list) or not all(isinstance(c, str) and c.strip() for c in contexts):
        raise ValueError(f"{where}: field 'contexts' must be a list of quotes from the corpus")
    if row["type"] != "unanswerable" and not contexts:
        raise ValueError(f"{where}: an answerable question needs at least one quote in 'contexts'")
    facts = row.get("facts", [])
    if not isinstance(facts, list) or not all(
        isinstance(group, list) and group and all(isinstance(f, str) and f.strip() for f in group) for group in facts
    ):
        example = '[["BLEU"], ["PPO", "Proximal Policy"]]'
        raise ValueError(f"{where}: field 'facts' must be a list of groups of alternatives, e.g. {example}")
    page = row.get("page")
    if page is not None and (not isinstance(page, int) or isinstance(page, bool) or page < 1):
        raise ValueError(f"{where}: field 'page' must be the PDF page number (1 or more) that holds the fact")
    pages = row.get("pages", [page] if page else [])
    if not isinstance(pages, list) or not all(isinstance(n, int) and n >= 1 for n in pages):
        raise ValueError(f"{where}: field 'pages' must list the PDF page numbers that hold the fact")
    return EvalItem(
        id=row["id"],
        question=row["question"],
        type=row["type"],
        reference=row["reference"],
        contexts=tuple(contexts),
        doc_ids=tuple(row.get("doc_ids", [])),
        facts=tuple(tuple(group) for group in facts),
        extra={k: v for k, v in row.items() if k not in _KNOWN},
        page=page,
        pages=tuple(pages),
    )
