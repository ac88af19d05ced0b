"""The replay eval: recorded answers of an instruct model, clean and with planted errors, served over the
Ollama protocol on 127.0.0.1 and answered by the real Assistant with the Ollama backend.

It measures the claim check on the product's main path: the share of true statements it keeps, the share of
planted errors it removes (per kind of error), statements moved to a source the model did not cite, the key
facts of the checked answer against the model's own and the composer's, and why each removal happened.

A replay set (JSONL) holds, per question: the prompt the model was given (``messages``), its clean answer
(every statement true, citing that prompt's numbers), and ``errors``: one statement of that answer replaced by a
planted error of a named kind. Citation numbers are mapped to the live prompt's numbers by each source's title
and text, so a recorded answer stays valid while the prompt's order changes; a source the live prompt lacks
becomes a number that points nowhere (the model would have cited something it was not shown).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from roadmap_rag.answer.citations import parse_answer
from roadmap_rag.api import Assistant
from roadmap_rag.evaluation.dataset import DEFAULT_REPLAY as DEFAULT_REPLAY
from roadmap_rag.evaluation.standin import MODEL, StandIn
from roadmap_rag.text.words import fact_recall
from roadmap_rag.types import Answer, Block, Statement, Turn

Progress = Callable[[int, int], None]
_SOURCE = re.compile(r'<source id="(\d+)" title="([^"]*)">\n(.*?)\n</source>', re.DOTALL)
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_CAVEAT = re.compile(
    r"\b(?:do(?:es)?n[o']t|do(?:es)? not|never|no)\b.{0,40}\b(?:say|state|mention|cover|give|list|specify|"
    r"include|discuss|name|address|provide|detail)",
    re.IGNORECASE,
)
_NOWHERE = 99  # a citation of a source the live prompt does not show


@dataclass(frozen=True)
class PlantedError:
    kind: str
    original: str  # verbatim in the clean answer
    planted: str  # what replaces it
    why: str = ""


@dataclass(frozen=True)
class ReplayItem:
    id: str
    question: str
    kind: str
    history: list[Turn]
    messages: list[dict[str, str]]
    answer: str
    errors: list[PlantedError]
    facts: list[list[str]] = field(default_factory=list)
    writer: str = ""
    style: str = ""

    def with_error(self, error: PlantedError) -> str:
        return self.answer.replace(error.original, error.planted, 1)


def load_replay(path: Path) -> list[ReplayItem]:
    """A replay set; every planted error's ``original`` must lie in its answer."""
    items = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        errors = [
            PlantedError(**{k: e[k] for k in ("kind", "original", "planted", "why") if k in e}) for e in row["errors"]
        ]
        bad = [e.original[:60] for e in errors if e.original not in row["answer"]]
        if bad:
            raise ValueError(
                f"{path}:{line_no} ({row['id']}): a planted error's 'original' is not in the answer: {bad}"
            )
        history = [Turn(t["question"], t["answer"], t.get("section", ""), t.get("roadmap", "")) for t in row["history"]]
        items.append(
            ReplayItem(
                row["id"],
                row["question"],
                row.get("kind", ""),
                history,
                row["messages"],
                row["answer"],
                errors,
                row.get("facts", []),
                row.get("writer", ""),
                row.get("style", ""),
            )
        )
    return items


def _sources(messages: Sequence[dict[str, str]]) -> dict[int, str]:
    """Number -> a key for the source shown under it (its title and the start of its text)."""
    prompt = messages[-1]["content"] if messages else ""
    return {int(n): f"{title}\n{body[:160]}" for n, title, body in _SOURCE.findall(prompt)}


def renumber(answer: str, recorded: Sequence[dict[str, str]], live: Sequence[dict[str, str]]) -> str:
    """``answer``'s citations moved from the recorded prompt's numbers to the live prompt's."""
    live_number = {key: n for n, key in _sources(live).items()}
    mapping = {n: live_number.get(key, _NOWHERE) for n, key in _sources(recorded).items()}

    def move(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"\s*,\s*", match.group(1))]
        return "[" + ", ".join(str(mapping.get(n, _NOWHERE)) for n in numbers) + "]"

    return _MARKER.sub(move, answer)


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def _statements(blocks: Sequence[Block]) -> Iterator[tuple[str, Statement]]:
    """(role, statement) for every statement of an answer: a list's lead, its items, a paragraph's sentences."""
    for block in blocks:
        if block.kind == "heading" and block.title:
            yield "heading", Statement(block.title)
        if block.kind == "note" and block.title:
            yield "note", Statement(block.title)
        if block.lead:
            yield "lead", block.lead
        for statement in block.statements:
            yield ("item" if block.kind == "list" else "sentence"), statement


def _role(role: str, statement: Statement) -> str:
    return "caveat" if role == "sentence" and not statement.citations and _CAVEAT.search(statement.text) else role


@dataclass
class StatementOutcome:
    text: str
    role: str  # lead | item | sentence | caveat
    kept: bool
    cited: list[int]  # what the model cited (live numbers)
    shown: list[int]  # what the learner sees it cite
    reason: str = ""  # why it was removed


@dataclass
class ErrorOutcome:
    kind: str
    planted: str
    removed: bool
    reason: str = ""


@dataclass
class ReplayResult:
    id: str
    kind: str
    question: str
    answer: str  # the checked answer, as the learner reads it
    statements: list[StatementOutcome]
    errors: list[ErrorOutcome]
    facts_stated: int
    facts_total: int
    composer_facts_stated: int
    backend: str
    model_facts_stated: int = 0  # what the model's own answer states, before the check

    @property
    def recited(self) -> list[StatementOutcome]:
        """Kept statements shown with a source the model did not cite, although it cited one it was shown."""
        return [s for s in self.statements if s.kept and s.cited and not set(s.shown) <= set(s.cited)]


def _removals(answer: Answer) -> dict[str, str]:
    return {_norm(r.text): r.reason for r in answer.removed}


def _outcomes(model_text: str, answer: Answer) -> list[StatementOutcome]:
    kept = {_norm(s.text): s for _, s in _statements(answer.blocks)}
    reasons = _removals(answer)
    out = []
    for role, statement in _statements(parse_answer(model_text)):
        key = _norm(statement.text)
        if not key:
            continue
        shown = kept.get(key)
        cited = [n for n in statement.citations if n != _NOWHERE]
        out.append(
            StatementOutcome(
                statement.text,
                _role(role, statement),
                shown is not None,
                cited,
                list(shown.citations) if shown else [],
                "" if shown else reasons.get(key, "not in the checked answer"),
            )
        )
    return out


class Replayer:
    """Serves one recorded answer at a time, renumbered for the prompt the Assistant sends."""

    def __init__(self) -> None:
        self.item: ReplayItem | None = None
        self.text = ""
        self.sent = ""

    def __call__(self, messages: list[dict[str, str]]) -> str:
        assert self.item is not None
        self.sent = renumber(self.text, self.item.messages, messages)
        return self.sent


def run_replay(
    assistant: Assistant, items: Sequence[ReplayItem], progress: Progress | None = None
) -> list[ReplayResult]:
    """Every item's clean answer and each of its planted errors, through the real Ollama path."""
    replayer = Replayer()
    results = []
    with StandIn() as standin:
        standin.reply = replayer
        settings = assistant.settings.model_copy(
            update={"ollama_host": standin.host, "ollama_model": MODEL, "llm": "ollama", "query_log": False}
        )
        bot = Assistant(settings, embedder=assistant.embedder, store=assistant.store)

        def ask(item: ReplayItem, text: str) -> tuple[Answer, str]:
            replayer.item, replayer.text, replayer.sent = item, text, ""
            return bot.ask(item.question, item.history), replayer.sent

        for done, item in enumerate(items, start=1):
            answer, sent = ask(item, item.answer)
            statements = _outcomes(sent, answer) if sent else []
            clean = {_norm(s.text) for s in statements}
            errors = []
            for error in item.errors:
                wrong, sent_wrong = ask(item, item.with_error(error))
                planted = [o for o in _outcomes(sent_wrong, wrong) if _norm(o.text) not in clean] if sent_wrong else []
                survived = [o for o in planted if o.kept]
                reason = "; ".join(dict.fromkeys(o.reason for o in planted if not o.kept))
                errors.append(ErrorOutcome(error.kind, error.planted, not survived, reason))
            composer = bot.ask(item.question, item.history, llm="extractive")
            results.append(
                ReplayResult(
                    item.id,
                    item.kind,
                    item.question,
                    answer.text,
                    statements,
                    errors,
                    fact_recall(answer.text, item.facts)[0],
                    len(item.facts),
                    fact_recall(composer.text, item.facts)[0],
                    answer.backend,
                    fact_recall(item.answer, item.facts)[0],
                )
            )
            if progress:
                progress(done, len(items))
    return results


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summarise(results: Sequence[ReplayResult]) -> dict[str, Any]:
    """The replay's figures: true statements kept (all and by role), planted errors removed (all and by kind),
    re-citations, key facts of the checked answers against the model's own and the composer's, and the removals'
    reasons."""
    statements = [s for r in results for s in r.statements]
    errors = [e for r in results for e in r.errors]
    roles = sorted({s.role for s in statements})
    kinds = sorted({e.kind for e in errors})
    facts = sum(r.facts_total for r in results)
    false_removals = Counter(_reason_kind(s.reason) for s in statements if not s.kept)
    return {
        "questions": len(results),
        "true_statements": len(statements),
        "true_kept": _share(sum(s.kept for s in statements), len(statements)),
        "true_kept_by_role": {
            role: (sum(s.kept for s in statements if s.role == role), sum(s.role == role for s in statements))
            for role in roles
        },
        "planted_errors": len(errors),
        "errors_removed": _share(sum(e.removed for e in errors), len(errors)),
        "errors_removed_by_kind": {
            kind: (sum(e.removed for e in errors if e.kind == kind), sum(e.kind == kind for e in errors))
            for kind in kinds
        },
        "recited": sum(len(r.recited) for r in results),
        "fact_recall": _share(sum(r.facts_stated for r in results), facts),
        "composer_fact_recall": _share(sum(r.composer_facts_stated for r in results), facts),
        "model_fact_recall": _share(sum(r.model_facts_stated for r in results), facts),
        "fallbacks": sum(r.backend != f"ollama:{MODEL}" for r in results),
        "true_removed_why": dict(false_removals.most_common()),
        "errors_removed_why": dict(Counter(_reason_kind(e.reason) for e in errors if e.removed).most_common()),
    }


def _reason_kind(reason: str) -> str:
    """A removal reason without its particulars ("'GPT-5' is not in source [2]" -> "is not in source")."""
    return re.sub(r"\s+", " ", re.sub(r"'[^']*'|\"[^\"]*\"|\[\d+(?:, \d+)*\]|\d+", "", reason)).strip(" :;,") or "?"


def report(results: Sequence[ReplayResult], path: Path, shown: int = 3) -> str:
    """Markdown: the summary, the failures (true statements removed, planted errors kept, re-citations) and
    ``shown`` answers as a learner reads them, with what was removed and why."""
    summary = summarise(results)
    lines = [f"# Replay: {summary['questions']} questions from `{path}`", ""]
    lines += [
        f"- true statements kept: {_pct(summary['true_kept'])} of {summary['true_statements']}",
        f"- planted errors removed: {_pct(summary['errors_removed'])} of {summary['planted_errors']}",
        f"- kept statements moved to a source the model did not cite: {summary['recited']}",
        f"- key facts stated, checked answer: {_pct(summary['fact_recall'])}; "
        f"the model's own answer: {_pct(summary['model_fact_recall'])}; "
        f"the composer's: {_pct(summary['composer_fact_recall'])}",
        f"- answers that fell back to the composer: {summary['fallbacks']}",
        "",
        "| statement role | kept | of |",
        "|---|---|---|",
        *(f"| {role} | {k} | {n} |" for role, (k, n) in summary["true_kept_by_role"].items()),
        "",
        "| planted error kind | removed | of |",
        "|---|---|---|",
        *(f"| {kind} | {k} | {n} |" for kind, (k, n) in summary["errors_removed_by_kind"].items()),
        "",
        "## True statements removed",
        "",
    ]
    lines += [f"- `{r.id}` ({s.role}) {s.text!r}: {s.reason}" for r in results for s in r.statements if not s.kept] or [
        "none"
    ]
    lines += ["", "## Planted errors that reached the learner", ""]
    lines += [f"- `{r.id}` {e.kind}: {e.planted!r}" for r in results for e in r.errors if not e.removed] or ["none"]
    lines += ["", "## Re-cited statements", ""]
    lines += [f"- `{r.id}` {s.text!r}: cited {s.cited}, shown {s.shown}" for r in results for s in r.recited] or [
        "none"
    ]
    lines += ["", "## Answers as a learner reads them", ""]
    for r in results[:shown]:
        lines += [f"### `{r.id}`: {r.question}", "", r.answer, ""]
        removed = [s for s in r.statements if not s.kept]
        lines += [f"- removed {s.text!r}: {s.reason}" for s in removed] or ["- nothing removed"]
        lines += [
            f"- planted {e.kind} {e.planted!r}: {'removed: ' + e.reason if e.removed else 'KEPT'}" for e in r.errors
        ]
        lines.append("")
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def write_results(results: Sequence[ReplayResult], path: Path) -> None:
    path.write_text("\n".join(json.dumps(asdict(r)) for r in results) + "\n", encoding="utf-8")
