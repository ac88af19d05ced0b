"""The answering commands: ask, chat and retrieve, and how an answer is printed."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from roadmap_rag.api import Assistant
from roadmap_rag.cli.console import LLMOption, _fail, _settings, console, err
from roadmap_rag.cli.learning import _print_next
from roadmap_rag.errors import RoadmapRagError
from roadmap_rag.learn.curriculum import NEXT_QUESTION
from roadmap_rag.serve.display import place_line
from roadmap_rag.types import Answer, Source, Turn, cite


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
