"""The `roadmap-rag` command: thin commands that call the library and print numbers."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Column, Table
from rich.text import Text
from typer.core import TyperOption

from roadmap_rag import redact
from roadmap_rag.answer.generation import backend_names
from roadmap_rag.api import Assistant
from roadmap_rag.errors import ConfigError, RoadmapRagError
from roadmap_rag.evaluation.dataset import DEFAULT_DATASET, DEFAULT_REPLAY
from roadmap_rag.index.ingest import ingest
from roadmap_rag.index.state import index_status, read_state
from roadmap_rag.learn.curriculum import NEXT_QUESTION
from roadmap_rag.serve.display import kind_summary, place_line
from roadmap_rag.settings import Settings, origin_summary, origins, settings_file
from roadmap_rag.types import Answer, Source, Turn, cite

if TYPE_CHECKING:
    from roadmap_rag.corpus.catalog import Catalog
    from roadmap_rag.corpus.paper_links import ScanResult
    from roadmap_rag.errors import InputFileError
    from roadmap_rag.learn.curriculum import TopicPath

app = typer.Typer(
    help="Cited answers from LLM learning roadmaps, local-first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


@app.command("ingest")
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


@app.command("status")
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


LLMOption = Annotated[str | None, typer.Option("--llm", help=f"{backend_names()} (default: setting llm).")]


def _print_sources(answer_sources: list[Source], cited: set[int]) -> None:
    for n, source in enumerate(answer_sources, start=1):
        mark = "*" if n in cited else " "
        console.print(f"{mark}[{n}] {escape(source.label())}", highlight=False)


def print_answer(answer: Answer) -> None:
    """The answer's blocks as a learner reads them: roadmap and section in bold, lists as bullets."""
    if not answer.blocks:
        console.print(escape(answer.text), highlight=False)
        return
    for block in answer.blocks:
        text = block.render(lambda s: escape(cite(s)), lambda title: f"\n[bold]{escape(title)}[/bold]")
        lines = [f"  • {line[2:]}" if line.startswith("- ") else line for line in text.split("\n")]
        console.print("\n".join(lines), highlight=False)


def _stream_answer(
    assistant: Assistant,
    question: str,
    history: list[Turn],
    llm: str | None,
    k: int | None,
    said: set[str] | None = None,
) -> Answer:
    """Show the answer live as it streams (each statement once the claim check has passed it: never the model's
    unchecked text), then the answer laid out, its sources, what was removed and why, and timings. A note
    already in ``said`` (the chat's notes so far) is not repeated."""
    stream = assistant.stream(question, history, llm=llm, k=k)
    streamed = ""
    with Live(console=console, transient=True, auto_refresh=False) as live:
        for delta in stream:
            if not delta.startswith("\n\n") or streamed:
                streamed += delta
                live.update(Text(streamed, style="dim"), refresh=True)
    answer = stream.answer
    if answer.standalone:  # a follow-up, answered as the question it stands for
        console.print(f"[dim]Answering: {escape(answer.standalone)}[/]", highlight=False)
    print_answer(answer)
    cited = {c.number for c in answer.citations}
    console.print("\n[bold]Sources[/] (* = cited):")
    _print_sources(answer.sources, cited)
    if answer.places:
        console.print("\n[bold]Where this sits[/] in each roadmap:")
        for place in answer.places:
            console.print(f"  {escape(place_line(place))}", highlight=False)
            if place.prerequisites:
                console.print(f"    prerequisites: {escape(', '.join(place.prerequisites))}", highlight=False)
    if answer.removed:
        console.print(f"[yellow]removed, not supported by the sources:[/] {len(answer.removed)} statement(s)")
        for removal in answer.removed:
            console.print(f"  [dim]- {escape(removal.text)}[/]  ({escape(removal.reason)})", highlight=False)
    said = set() if said is None else said
    for note in answer.notes:
        if note.startswith("Ollama not used"):  # llm=auto without Ollama: said once, briefly
            note = "Ollama is not running, so answers come from the sources without an LLM (`roadmap-rag doctor`)"
        if note not in said:
            said.add(note)
            console.print(f"[yellow]note:[/] {escape(note)}")
    t = answer.timings
    console.print(
        f"backend: {answer.backend}; grounded: {answer.grounded}; "
        f"{len(cited)} source{'' if len(cited) == 1 else 's'} cited; "
        f"retrieve {t.retrieve:.2f} s, first token {t.first_token:.2f} s, total {t.total:.2f} s",
        highlight=False,
    )
    return answer


@app.command("ask")
def ask_cmd(
    question: Annotated[str, typer.Argument(help="Your question about the roadmaps.")],
    llm: LLMOption = None,
    k: Annotated[int | None, typer.Option("--k", help="Sources to use.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
) -> None:
    """Answer a question with numbered citations, streamed."""
    try:
        assistant = Assistant(_settings())
        if NEXT_QUESTION.search(question) and not as_json:
            _print_next(assistant, "default")  # from `roadmap-rag progress`, not from retrieval
        elif as_json:
            print(json.dumps(assistant.ask(question, llm=llm, k=k).to_dict(), indent=2, default=str))
        else:
            _stream_answer(assistant, question, [], llm, k)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc


@app.command("chat")
def chat_cmd(
    llm: LLMOption = None,
    k: Annotated[int | None, typer.Option("--k", help="Sources to use.")] = None,
) -> None:
    """A multi-turn session: follow-up questions use the conversation so far. Empty line or Ctrl-D ends it."""
    try:
        assistant = Assistant(_settings())
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    history: list[Turn] = []
    said: set[str] = set()  # notes already given in this session
    console.print("Ask about the roadmaps; /reset forgets the conversation; an empty line ends the session.")
    turns = 0
    while True:
        try:
            question = input("\nyou> ").strip()
        except EOFError:
            break
        if not question:
            break
        if question == "/reset":
            history = []
            console.print("(conversation forgotten)")
            continue
        try:
            history = _stream_answer(assistant, question, history, llm, k, said).history
            turns += 1
        except RoadmapRagError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}")
    console.print(f"chat: {turns} questions answered")


@app.command("path")
def path_cmd(
    topic: Annotated[str, typer.Argument(help="A topic, e.g. LoRA, tokenization, RLHF, RAG.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the path as JSON.")] = False,
) -> None:
    """Where each roadmap places a topic, side by side: section and order, level or month, what comes before
    and after, the resources and papers it recommends, and where the roadmaps disagree."""
    from dataclasses import asdict

    try:
        path = Assistant(_settings()).path(topic)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    if as_json:
        print(json.dumps(asdict(path), indent=2))
        return
    print_path(path)


def print_path(path: TopicPath) -> None:
    console.print(f"[bold]{escape(path.topic)}[/] across the roadmaps")
    for lane in path.lanes:
        primary = lane.primary
        if primary is None:
            continue
        console.print(f"\n[bold]{escape(place_line(primary.place))}[/]", highlight=False)
        for mention in lane.mentions:
            console.print(f"  • {escape(mention.text)}  [dim]({escape(mention.place.section)})[/]", highlight=False)
        resources = list(dict.fromkeys(r for m in lane.mentions for r in m.resources))
        papers = list(dict.fromkeys(p for m in lane.mentions for p in m.papers))
        if resources:
            console.print(f"  resources: {escape('; '.join(resources[:6]))}", highlight=False)
        if papers:
            console.print(f"  papers: {escape('; '.join(papers))}", highlight=False)
    if not path.covered:
        nearest = "; ".join(path.nearest) or "none"
        console.print(f"No roadmap covers {escape(path.topic)!r}. Nearest covered topics: {escape(nearest)}")
    for line in path.disagreements:
        console.print(f"[yellow]differs:[/] {escape(line)}", highlight=False)
    covered = sum(1 for lane in path.lanes if lane.mentions)
    console.print(f"path: {covered} of {len(path.lanes)} roadmaps cover {escape(path.topic)!r}", highlight=False)


@app.command("quiz")
def quiz_cmd(
    topic: Annotated[str, typer.Argument(help="A topic, e.g. RLHF, tokenization, LoRA.")],
    n: Annotated[int, typer.Option("--n", help="How many questions.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the questions and their keys as JSON.")] = False,
) -> None:
    """A self-check quiz built from the roadmaps: type your answers; each is scored with the passage it
    comes from. An empty answer skips a question."""
    from dataclasses import asdict

    from roadmap_rag.learn.quiz import quiz_score

    try:
        assistant = Assistant(_settings())
        items = assistant.quiz(topic, n)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    if as_json:
        print(json.dumps([asdict(item) for item in items], indent=2))
        return
    if not items:
        console.print(
            f"No quiz questions on {escape(topic)!r}: the roadmaps have no list, definition or section on it."
        )
        raise typer.Exit(1)
    grades = []
    for number, item in enumerate(items, start=1):
        console.print(f"\n[bold]{number}. {escape(item.question)}[/]", highlight=False)
        try:
            answer = input("your answer> ").strip()
        except EOFError:
            answer = ""
        result = assistant.grade(item, answer)
        grades.append(result)
        colour = "dim" if result.skipped else "green" if result.score == 1 else "yellow" if result.score else "red"
        shown = "skipped" if result.skipped else f"{result.score:.2f}"
        console.print(f"[{colour}]{shown}[/] {escape(result.feedback)}", highlight=False)
    total, answered = quiz_score(grades)
    skipped = f", {len(items) - answered} skipped" if answered < len(items) else ""
    share = f" ({total / answered:.0%})" if answered else ""
    console.print(f"\nquiz: {total:.1f} of {answered}{share}{skipped} on {escape(topic)!r}", highlight=False)


@app.command("progress")
def progress_cmd(
    profile: Annotated[str, typer.Option(help="Whose progress (kept in the data dir).")] = "default",
    done: Annotated[
        list[str] | None, typer.Option("--done", help="Mark a section done: ROADMAP_ID:SECTION (repeat).")
    ] = None,
    undo: Annotated[list[str] | None, typer.Option("--undo", help="Unmark a section: ROADMAP_ID:SECTION.")] = None,
) -> None:
    """Mark roadmap sections done, then see what to study next in each roadmap, in its order."""
    from roadmap_rag.learn.progress import ProgressStore

    try:
        assistant = Assistant(_settings())
        store = ProgressStore(assistant.settings, profile)
        known = set(assistant.curriculum().roadmaps())
        for spec, flag in [*((d, True) for d in done or ()), *((u, False) for u in undo or ())]:
            doc_id, _, section = spec.partition(":")
            if doc_id not in known or not section:
                raise ConfigError(f"{spec!r}: use ROADMAP_ID:SECTION with one of {', '.join(sorted(known))}")
            store.mark(doc_id, _section(assistant, doc_id, section) if flag else section.strip(), flag)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    _print_next(assistant, profile)


def _section(assistant: Assistant, doc_id: str, name: str) -> str:
    """The roadmap's section that ``name`` names (its path, or its title with or without its number, in any
    case); a name that is none of them is a ConfigError naming the closest sections."""
    import difflib

    from roadmap_rag.types import SECTION_SEPARATOR, unnumbered

    paths = [u.section for u in assistant.retriever.library().view(doc_id).units if u.kind == "heading"]
    wanted = " ".join(name.split()).casefold()
    for path in paths:
        title = path.split(SECTION_SEPARATOR)[-1]
        if wanted in (path.casefold(), title.casefold(), unnumbered(title).casefold()):
            return path
    titles = {path.split(SECTION_SEPARATOR)[-1].casefold(): path.split(SECTION_SEPARATOR)[-1] for path in paths}
    near = difflib.get_close_matches(wanted, list(titles), n=3, cutoff=0.4)
    near += [t for t in titles if wanted in t and t not in near]
    closest = "; the closest: " + "; ".join(repr(titles[t]) for t in near[:3]) if near else ""
    raise ConfigError(
        f"{doc_id} has no section {name.strip()!r}{closest} (`roadmap-rag path TOPIC` shows where a topic sits)"
    )


def _print_next(assistant: Assistant, profile: str) -> None:
    """What to study next for ``profile``: each roadmap's next unfinished main sections, with its prerequisites."""
    from roadmap_rag.learn.progress import ProgressStore

    marked = ProgressStore(assistant.settings, profile).done()
    steps = assistant.next_steps(marked)
    console.print(f"[bold]Next[/] for profile {escape(profile)} ({len(marked)} sections done):")
    shown: set[str] = set()
    for place in steps:
        console.print(f"  • {escape(place_line(place))}", highlight=False)
        if place.prerequisites and place.doc_id not in shown:
            shown.add(place.doc_id)
            console.print(f"    prerequisites: {escape(', '.join(place.prerequisites))}", highlight=False)
    roadmaps = len({p.doc_id for p in steps})
    console.print(f"progress: {len(marked)} sections done; {len(steps)} next steps in {roadmaps} roadmaps")


@app.command("retrieve")
def retrieve_cmd(
    question: Annotated[str, typer.Argument()],
    k: Annotated[int | None, typer.Option("--k")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the sources a question retrieves (hybrid dense + BM25), best first."""
    from dataclasses import asdict

    try:
        sources = Assistant(_settings()).retrieve(question, k=k)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    if as_json:
        print(json.dumps([asdict(s) for s in sources], indent=2))
        return
    for n, source in enumerate(sources, start=1):
        console.print(f"[{n}] {escape(source.label())}  (score {source.score:.4f})", highlight=False)
        console.print("    " + escape(source.text[:160].replace("\n", " ")), highlight=False)


@app.command("config")
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


@app.command("doctor")
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


papers_app = typer.Typer(help="The papers the roadmaps link: find them (scan) and download them (fetch).")
app.add_typer(papers_app, name="papers")


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


@app.command("bench", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench_cmd(ctx: typer.Context) -> None:
    """Benchmarks against the LlamaIndex starter baseline: runs `python -m bench` (see bench/__main__.py).

    Options pass through: --sizes 10000,100000,1000000, --no-server, --quick, --llamacpp-questions N.
    """
    import subprocess

    root = app_script().parents[1]
    if not (root / "bench" / "__main__.py").is_file():
        raise _fail(RoadmapRagError(f"bench/ not found under {root}; run from the roadmap-rag checkout"))
    raise typer.Exit(subprocess.call([sys.executable, "-m", "bench", *ctx.args], cwd=root))


def app_script() -> Path:
    """app/streamlit_app.py of this checkout (the package is installed editable from it), or of the cwd."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
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


@app.command("app")
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


@app.command("mcp")
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


@app.command("serve")
def serve_cmd(host: HostOption = "127.0.0.1", port: Annotated[int, typer.Option(help="Port.")] = 8000) -> None:
    """Run the HTTP API (POST /ask, POST /retrieve, GET /status, GET /healthz; OpenAPI at /docs)."""
    from roadmap_rag.serve.http_api import reach_warning, serve

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


eval_app = typer.Typer(
    help="Score the golden set (no subcommand), or turn learners' feedback into draft eval cases.",
    invoke_without_command=True,
)
app.add_typer(eval_app, name="eval")


_T = TypeVar("_T")


def _over_questions(work: Callable[[Assistant, Callable[[int, int], None]], _T]) -> _T:
    """``work`` over a question set with the default Assistant, a progress bar of questions done, and our
    errors as a message with the remedy."""
    try:
        assistant = Assistant(_settings())
        with Progress(*_BAR_COLUMNS, console=err, transient=True) as progress:
            task = progress.add_task("questions", total=None)
            return work(assistant, lambda done, total: progress.update(task, completed=done, total=total))
    except RoadmapRagError as exc:
        raise _fail(exc) from exc


@eval_app.callback()
def eval_cmd(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Option(help="JSONL golden set.")] = DEFAULT_DATASET,
    llm: LLMOption = None,
    k: Annotated[int, typer.Option("--k", help="Cut-off for hit@k, recall@k, nDCG@k.")] = 5,
    limit: Annotated[int | None, typer.Option(help="Only the first N questions (a quick run).")] = None,
    out: Annotated[Path, typer.Option(help="Where run folders go.")] = Path("eval/runs"),
    baseline: Annotated[Path | None, typer.Option(help="An earlier run folder to compare with.")] = None,
    ragas: Annotated[bool, typer.Option(help="Also compute Ragas' non-LLM metrics.")] = True,
    judge: Annotated[
        str, typer.Option(help="Ragas' LLM-judged metrics with: none, llamacpp, or ollama:MODEL.")
    ] = "none",
    replay: Annotated[
        bool,
        typer.Option(
            "--replay",
            help="Instead: replay recorded model answers (clean and with planted errors) over the Ollama protocol "
            "and score the claim check (see --replay-set).",
        ),
    ] = False,
    replay_set: Annotated[Path, typer.Option(help="The replay set (JSONL) for --replay.")] = DEFAULT_REPLAY,
) -> None:
    """Score retrieval, refusals, answers and citations on the golden set; write eval/runs/<time>/report.md.
    With --replay: score the claim check on a model's recorded answers; write eval/runs/<time>/replay.md."""
    if ctx.invoked_subcommand:
        return
    if replay:
        _replay(replay_set, limit, out)
        return
    from roadmap_rag.evaluation.suite import SuiteOptions, run_suite

    options = SuiteOptions(dataset, llm, k, limit, out, baseline, ragas, judge)
    result = _over_questions(lambda assistant, progress: run_suite(assistant, options, progress))
    summary = result.run.summary()
    table = Table("metric", "value", title=f"eval: {len(result.run.results)} questions, backend {result.run.llm}")
    for name in result.metrics:
        value, failed = summary.get(name), summary.get(f"{name}_failures")
        shown = "n/a" if value is None else f"{value:.3f}"
        table.add_row(name, f"{shown} ({failed} failed)" if failed else shown)
    console.print(table)
    console.print(f"report: {result.report}")


def _replay(path: Path, limit: int | None, out: Path) -> None:
    from roadmap_rag.evaluation.replay import load_replay, report, run_replay, summarise, write_results
    from roadmap_rag.evaluation.report import new_run_dir

    try:
        items = load_replay(path)[:limit]
    except (OSError, ValueError, KeyError) as exc:
        raise _fail(ConfigError(f"cannot read the replay set {path}: {exc}")) from exc
    results = _over_questions(lambda assistant, progress: run_replay(assistant, items, progress))
    folder = new_run_dir(out)
    (folder / "replay.md").write_text(report(results, path), encoding="utf-8")
    write_results(results, folder / "replay.jsonl")
    summary = summarise(results)
    table = Table("claim check", "value", title=f"replay: {summary['questions']} answers from {path}")
    table.add_row("true statements kept", f"{summary['true_kept']:.3f} of {summary['true_statements']}")
    for role, (kept, total) in summary["true_kept_by_role"].items():
        table.add_row(f"  {role}", f"{kept} of {total}")
    table.add_row("planted errors removed", f"{summary['errors_removed']:.3f} of {summary['planted_errors']}")
    for kind, (removed, total) in summary["errors_removed_by_kind"].items():
        table.add_row(f"  {kind}", f"{removed} of {total}")
    table.add_row("re-cited to a source the model did not cite", str(summary["recited"]))
    table.add_row(
        "key facts: checked answer / composer", f"{summary['fact_recall']:.3f} / {summary['composer_fact_recall']:.3f}"
    )
    console.print(table)
    console.print(f"report: {folder / 'replay.md'}")


@eval_app.command("train-ranker")
def train_ranker_cmd(
    dataset: Annotated[
        list[Path] | None, typer.Option(help="Golden sets to learn from (default: the golden set and learner dev).")
    ] = None,
    report: Annotated[Path, typer.Option(help="Where the cross-validated figures go.")] = Path("eval/ranker.md"),
) -> None:
    """Fit the unit ranker on golden sets' key facts, cross-validated by question; write the shipped model.

    Example: roadmap-rag eval train-ranker --dataset eval/datasets/roadmap_qa.jsonl
    """
    from roadmap_rag.answer.ranking import MODEL_PATH
    from roadmap_rag.evaluation.train_ranker import DEFAULT_TRAINING, run_training

    datasets = tuple(dataset) if dataset else DEFAULT_TRAINING
    training = _over_questions(lambda assistant, progress: run_training(assistant, datasets, progress))
    MODEL_PATH.write_text(training.model.to_json() + "\n", encoding="utf-8")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(training.report(), encoding="utf-8")
    rows = sum(len(q.rows) for q in training.questions)
    cv = training.cv
    console.print(
        f"train-ranker: {len(training.questions)} questions, {rows} candidate units; cross-validated AUC "
        f"{cv['auc_model']:.3f} (lexical + dense score: {cv['auc_base']:.3f}), facts in the top 3 "
        f"{cv['top_model']:.3f} ({cv['top_base']:.3f}); model: {MODEL_PATH}; report: {report}"
    )


@eval_app.command("import-feedback")
def import_feedback_cmd(
    out: Annotated[Path, typer.Option(help="The drafts file (JSONL).")] = Path("eval/datasets/drafts.jsonl"),
    golden: Annotated[
        list[Path] | None, typer.Option(help="Golden sets whose questions are not drafted again.")
    ] = None,
) -> None:
    """Turn thumbs-down answers (feedback.jsonl joined with queries.jsonl) into draft golden-set entries."""
    from roadmap_rag.evaluation.drafts import import_feedback

    settings = _settings()
    report = import_feedback(settings, out, tuple(golden if golden is not None else [DEFAULT_DATASET]))
    console.print(f"import-feedback: {escape(report.summary())}")
    if report.drafts:
        console.print("Complete each draft (its 'todo' says how), then move it into a golden set.")


# -- an example for every command's --help -------------------------------------------------------------
EXAMPLES = {
    "ingest": "roadmap-rag ingest   (again after editing the corpus: only what changed is embedded)",
    "status": "roadmap-rag status --json",
    "ask": 'roadmap-rag ask "What should I learn before transformers?"',
    "chat": "roadmap-rag chat --llm extractive",
    "path": "roadmap-rag path LoRA",
    "quiz": "roadmap-rag quiz RLHF --n 3",
    "progress": 'roadmap-rag progress --done "comprehensive-llm-curriculum:Getting Started"',
    "retrieve": 'roadmap-rag retrieve "What is LoRA?" --k 3',
    "config": "roadmap-rag config --json",
    "doctor": "roadmap-rag doctor --repair",
    "bench": "roadmap-rag bench --help   (the benchmark's own options)",
    "app": "roadmap-rag app --port 8501",
    "mcp": "roadmap-rag mcp --http --port 8765",
    "serve": "roadmap-rag serve --port 8000",
    "papers": "roadmap-rag papers fetch --only transformer",
    "papers scan": "roadmap-rag papers scan --write",
    "papers fetch": "roadmap-rag papers fetch --only transformer",
    "eval": "roadmap-rag eval --limit 10 --llm extractive",
    "eval train-ranker": "roadmap-rag eval train-ranker --report eval/ranker.md",
    "eval import-feedback": "roadmap-rag eval import-feedback --out eval/datasets/drafts.jsonl",
}


def _add_examples() -> None:
    """Each command's --help ends with an example (typer's epilog)."""
    for typer_app, prefix in ((app, ""), (papers_app, "papers "), (eval_app, "eval ")):
        for command in typer_app.registered_commands:
            name = prefix + (command.name or "")
            if name in EXAMPLES and not command.epilog:
                command.epilog = f"Example: {EXAMPLES[name]}"
    for group in app.registered_groups:
        if group.name in EXAMPLES and not group.epilog:
            group.epilog = f"Example: {EXAMPLES[group.name]}"


_add_examples()
