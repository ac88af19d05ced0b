"""The learning commands: path, quiz and progress, what to study next, and the glossary."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from roadmap_rag.api import Assistant
from roadmap_rag.cli.console import _fail, _settings, console
from roadmap_rag.errors import ConfigError, RoadmapRagError
from roadmap_rag.learn.progress import DEFAULT_PROFILE
from roadmap_rag.serve.display import place_line

if TYPE_CHECKING:
    from roadmap_rag.learn.curriculum import TopicPath
    from roadmap_rag.learn.glossary import GlossaryEntry


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


def quiz_cmd(
    topic: Annotated[str, typer.Argument(help="A topic, e.g. RLHF, tokenization, LoRA.")],
    n: Annotated[int, typer.Option("--n", help="How many questions.")] = 5,
    profile: Annotated[str, typer.Option(help="Whose mastery the answers count toward.")] = DEFAULT_PROFILE,
    level: Annotated[
        str | None, typer.Option(help="Multiple choice instead of typed answers: easy, medium or hard.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the questions and their keys as JSON.")] = False,
) -> None:
    """A self-check quiz built from the roadmaps: type your answers; each is scored with the passage it
    comes from and counts toward your mastery of its section. An empty answer skips a question."""
    from dataclasses import asdict

    from roadmap_rag.learn.quiz import quiz_score

    if level is not None:
        _choice_quiz(topic, n, profile, level, as_json)
        return
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
        result = assistant.grade(item, answer, profile)
        grades.append(result)
        colour = "dim" if result.skipped else "green" if result.score == 1 else "yellow" if result.score else "red"
        shown = "skipped" if result.skipped else f"{result.score:.2f}"
        console.print(f"[{colour}]{shown}[/] {escape(result.feedback)}", highlight=False)
    total, answered = quiz_score(grades)
    skipped = f", {len(items) - answered} skipped" if answered < len(items) else ""
    share = f" ({total / answered:.0%})" if answered else ""
    console.print(f"\nquiz: {total:.1f} of {answered}{share}{skipped} on {escape(topic)!r}", highlight=False)


def _choice_quiz(topic: str, n: int, profile: str, level: str, as_json: bool) -> None:
    from dataclasses import asdict

    from roadmap_rag.cli.studying import take_choices

    try:
        assistant = Assistant(_settings())
        items = assistant.choices(topic, level, n)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    if as_json:
        print(json.dumps([asdict(item) for item in items], indent=2, default=str))
        return
    if not items:
        console.print(f"No {level} multiple-choice questions on {escape(topic)!r}; try another level or topic.")
        raise typer.Exit(1)
    right, answered = take_choices(assistant, items, profile)
    share = f" ({right / answered:.0%})" if answered else ""
    console.print(f"\nquiz: {right} of {answered} right{share} at {level} on {escape(topic)!r}", highlight=False)


def progress_cmd(
    profile: Annotated[str, typer.Option(help="Whose progress (kept in the data dir).")] = DEFAULT_PROFILE,
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
    """What to study next for ``profile``: reviews due first, then each roadmap's next main sections that are
    neither mastered (from quiz and review answers) nor ticked, with its prerequisites."""
    up = assistant.study_next(profile)
    mastered = [m for m in up.mastery if m.mastered]
    console.print(
        f"[bold]Next[/] for profile {escape(profile)} ({len(mastered)} sections mastered from your answers, "
        f"{len(up.ticked)} ticked by you):"
    )
    if up.due:
        cards = "1 card" if up.due == 1 else f"{up.due} cards"
        console.print(f"  • first, {cards} due for review: roadmap-rag review --profile {escape(profile)}")
    shown: set[str] = set()
    for place in up.steps:
        known = up.of(place)
        how = f" (your answers: {known.score:.0%} over {known.answers}; not mastered yet)" if known else ""
        console.print(f"  • {escape(place_line(place))}{escape(how)}", highlight=False)
        if place.prerequisites and place.doc_id not in shown:
            shown.add(place.doc_id)
            console.print(f"    prerequisites: {escape(', '.join(place.prerequisites))}", highlight=False)
    roadmaps = len({p.doc_id for p in up.steps})
    console.print(
        f"progress: {len(mastered)} mastered, {len(up.ticked)} ticked; {up.due} reviews due, {up.new} new cards today; "
        f"{len(up.steps)} next steps in {roadmaps} roadmaps"
    )


def glossary_cmd(
    term: Annotated[str, typer.Argument(help="A term or its long form, e.g. RLHF, low-rank, context window.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries and their sources as JSON.")] = False,
) -> None:
    """The terms the roadmaps define or expand, each definition quoted from its roadmap and cited; with a TERM,
    the terms it names (the exact term first) and each roadmap's definition."""
    from dataclasses import asdict

    from roadmap_rag.learn.glossary import nearest

    try:
        assistant = Assistant(_settings())
        entries = assistant.glossary(term)
        everything = entries if not term.strip() else assistant.glossary()
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    if as_json:
        print(json.dumps([asdict(entry) for entry in entries], indent=2))
        if not entries:
            raise typer.Exit(1)
        return
    if not everything:
        console.print("The glossary is empty: no indexed roadmap defines a term (run `roadmap-rag ingest`).")
        raise typer.Exit(1)
    if not entries:
        close = "; ".join(nearest(everything, term)) or "none"
        console.print(
            f"No roadmap defines {escape(term.strip())!r}. Nearest terms: {escape(close)} "
            "(`roadmap-rag glossary` lists them all).",
            highlight=False,
        )
        raise typer.Exit(1)
    if term.strip():
        for entry in entries:
            print_entry(entry)
        shown = "1 term matches" if len(entries) == 1 else f"{len(entries)} terms match"
        console.print(f"glossary: {shown} {escape(term.strip())!r}", highlight=False)
        return
    table = Table("term", "long form", "roadmaps", title="Glossary")
    for entry in entries:
        table.add_row(escape(entry.term), escape(entry.expansion), str(len(entry.sources)))
    console.print(table)
    roadmaps = len({quoted.source.doc_id for entry in entries for quoted in entry.sources})
    console.print(
        f"glossary: {len(entries)} terms from {roadmaps} roadmaps; `roadmap-rag glossary TERM` quotes the definitions",
        highlight=False,
    )


def print_entry(entry: GlossaryEntry) -> None:
    """A term, its long form, and each roadmap's definition quoted, with its roadmap and section."""
    long = f" — {escape(entry.expansion)}" if entry.expansion else ""
    console.print(f"\n[bold]{escape(entry.term)}[/]{long}", highlight=False)
    for quoted in entry.sources:
        where = f"{quoted.roadmap} — {quoted.section}" if quoted.section else quoted.roadmap
        console.print(f"  “{escape(quoted.quote)}”", highlight=False)
        console.print(f"    [dim]({escape(where)})[/]", highlight=False)
