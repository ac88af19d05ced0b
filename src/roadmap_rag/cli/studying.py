"""The study commands: `review` (the cards due, rated again/hard/good/easy) and `cards` (list them, export to Anki)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.panel import Panel

from roadmap_rag.api import Assistant
from roadmap_rag.cli.console import _fail, _settings, console
from roadmap_rag.errors import ConfigError, RoadmapRagError
from roadmap_rag.learn.progress import DEFAULT_PROFILE
from roadmap_rag.learn.study import RATINGS

if TYPE_CHECKING:
    from roadmap_rag.learn.cards import Card
    from roadmap_rag.learn.choice import ChoiceItem

cards_app = typer.Typer(help="The flashcards: list them, or export them to Anki.", no_args_is_help=True)
_KEYS = {"1": "again", "2": "hard", "3": "good", "4": "easy"} | {r: r for r in RATINGS} | {r[0]: r for r in RATINGS}


def review_cmd(
    profile: Annotated[str, typer.Option(help="Whose reviews (kept in the data dir).")] = DEFAULT_PROFILE,
    topic: Annotated[str, typer.Option(help="Only the cards on this topic, e.g. RLHF.")] = "",
    new: Annotated[int, typer.Option("--new", min=0, help="New cards a day, at most.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="List the cards due as JSON; review none.")] = False,
) -> None:
    """Review the cards due: read the question, press Enter for the answer and its passage, then rate how well
    you knew it (1 again, 2 hard, 3 good, 4 easy; q stops). FSRS schedules each card's next review."""
    try:
        assistant = Assistant(_settings())
        due = assistant.review_due(profile, topic=topic, new=new)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    if as_json:
        rows = [{"id": d.card.id, "new": d.new, "due": d.due.isoformat(), **_card_row(d.card)} for d in due]
        print(json.dumps(rows, indent=2))
        return
    if not due:
        console.print(f"Nothing due for {escape(profile)}{' on ' + repr(topic) if topic else ''}: come back later.")
        return
    rated: Counter[str] = Counter()
    for number, item in enumerate(due, start=1):
        card = item.card
        label = "new" if item.new else "due"
        console.print(
            Panel(escape(card.front), title=f"{number}/{len(due)} · {label} · {card.kind}", title_align="left")
        )
        if _read("Enter shows the answer (q stops)> ") == "q":
            break
        console.print(f"[bold]{escape(card.back)}[/]", highlight=False)
        console.print(f"[dim]{escape(' '.join(card.source.text.split())[:600])}[/]", highlight=False)
        console.print(f"source: {escape(card.where)}{'  ' + escape(card.source.url) if card.source.url else ''}")
        rating = _rating()
        if rating is None:
            break
        scheduled = assistant.rate(card.id, rating, profile)
        rated[rating] += 1
        console.print(f"[dim]{rating}: next review {scheduled.due:%Y-%m-%d %H:%M} UTC ({scheduled.state})[/]")
    counts = ", ".join(f"{rated[r]} {r}" for r in RATINGS if rated[r])
    console.print(f"review: {sum(rated.values())} of {len(due)} cards rated ({counts or 'none'}) for {escape(profile)}")


def _read(prompt: str) -> str:
    try:
        return input(prompt).strip().lower()
    except EOFError:
        return "q"


def _rating() -> str | None:
    """The learner's rating, asked until it is one; None to stop."""
    while True:
        answer = _read("how well did you know it? 1 again, 2 hard, 3 good, 4 easy (q stops)> ")
        if answer == "q":
            return None
        if answer in _KEYS:
            return _KEYS[answer]
        console.print("type 1, 2, 3 or 4 (or again, hard, good, easy)")


def _card_row(card: Card) -> dict[str, object]:
    return {
        "kind": card.kind,
        "front": card.front,
        "back": card.back,
        "keys": list(card.keys),
        "where": card.where,
        "url": card.source.url,
        "passage": card.source.text,
    }


def take_choices(assistant: Assistant, items: list[ChoiceItem], profile: str) -> tuple[int, int]:
    """Ask each multiple-choice item, show the chosen option's rationale and the right one's; (right, answered).
    An empty answer skips a question; q stops."""
    right = answered = 0
    for number, item in enumerate(items, start=1):
        console.print(f"\n[bold]{number}. {escape(item.question)}[/] [dim]({item.level})[/]", highlight=False)
        for letter, option in zip("abcd", item.options, strict=False):
            console.print(f"   {letter}) {escape(option.text)}", highlight=False)
        choice = _read("your choice (a-d; Enter skips, q stops)> ")
        while choice not in ("", "q") and choice not in "abcd"[: len(item.options)]:
            choice = _read("type a letter a-d, Enter to skip or q to stop> ")
        if choice == "q":
            break
        if not choice:
            console.print(f"[dim]skipped. {escape(item.options[item.answer].rationale)}[/]", highlight=False)
            continue
        option = assistant.answer_choice(item, "abcd".index(choice), profile)
        answered += 1
        right += option.correct
        console.print(f"[{'green' if option.correct else 'red'}]{escape(option.rationale)}[/]", highlight=False)
        if not option.correct:
            console.print(f"[green]{escape(item.options[item.answer].rationale)}[/]", highlight=False)
        console.print(f"[dim]source: {escape(option.source.label())}[/]", highlight=False)
    return right, answered


def placement_cmd(
    roadmap: Annotated[str, typer.Argument(help="A roadmap: its id, title, or a name like 'the curriculum'.")],
    sections: Annotated[int, typer.Option(min=1, max=12, help="How many of its first main sections.")] = 4,
    profile: Annotated[str, typer.Option(help="Whose mastery the answers set.")] = DEFAULT_PROFILE,
) -> None:
    """A placement check: one question on each of a roadmap's first sections; the ones you answer right count
    as mastered, so "what next" starts after them."""
    try:
        assistant = Assistant(_settings())
        items = assistant.placement(roadmap, sections)
        if not items:
            raise ConfigError(f"{roadmap!r} has no lists to ask a placement question from; try `roadmap-rag quiz`")
        right, answered = take_choices(assistant, items, profile)
        placed = [m for m in assistant.mastery(profile) if m.placed]
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    console.print(
        f"\nplacement: {right} of {answered} right; {len(placed)} sections mastered by placement for {escape(profile)}"
    )
    for m in placed:
        console.print(f"  • mastered: {escape(m.name)}", highlight=False)


def plan_cmd(
    goal: Annotated[str, typer.Option("--goal", help="Where you want to get: a topic, or a sentence.")],
    hours: Annotated[float, typer.Option("--hours", help="Hours a week you can study.")] = 6.0,
    know: Annotated[list[str] | None, typer.Option("--know", help="Something you already know (repeat).")] = None,
    roadmap: Annotated[str | None, typer.Option(help="Follow this roadmap (default: the one that fits best).")] = None,
    profile: Annotated[str, typer.Option(help="Whose mastery and ticks to leave out.")] = DEFAULT_PROFILE,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """A week-by-week plan toward a goal: the sections that lead there in a roadmap's order, without what you have
    mastered, ticked or know; each with its hours (and where they come from) and why it follows the last."""
    from dataclasses import asdict

    try:
        made = Assistant(_settings()).plan(goal, hours, profile, known=know or (), roadmap=roadmap)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    if as_json:
        print(json.dumps(asdict(made) | {"hours": made.hours}, indent=2, default=str))
        return
    known = f"; you know {', '.join(made.known)}" if made.known else ""
    console.print(
        f"[bold]Plan toward {escape(made.topic)}[/] along {escape(made.roadmap)}{escape(known)}", highlight=False
    )
    for step in made.steps:
        console.print(f"\n[bold]{step.position}. {escape(step.name)}[/] · {step.hours:g} h", highlight=False)
        console.print(f"  why here: {escape(step.why.text)}", highlight=False)
        console.print(f"  [dim]time: {escape(step.basis)}[/]", highlight=False)
        if step.also:
            console.print(f"  [dim]also in: {escape('; '.join(step.also))}[/]", highlight=False)
    for step in made.skipped:
        console.print(f"  [dim]left out ({step.status}): {escape(step.name)}[/]", highlight=False)
    console.print("\n[bold]Week by week[/]")
    for week in made.weeks:
        parts = "; ".join(f"{escape(name)} {hours:g} h" for name, hours in week.parts)
        console.print(f"  week {week.number} ({week.hours:g} h): {parts}", highlight=False)
    if made.alternatives:
        console.print(f"[dim]other roadmaps lead there too: {escape('; '.join(made.alternatives))}[/]", highlight=False)
    console.print(
        f"plan: {len(made.steps)} steps, {made.hours:g} h, {len(made.weeks)} weeks at {made.hours_per_week:g} h a "
        f"week; {len(made.skipped)} sections left out"
    )


@cards_app.command("list")
def cards_list_cmd(
    topic: Annotated[str, typer.Argument(help="Only the cards on this topic (none: every card).")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the cards as JSON.")] = False,
) -> None:
    """The cards the roadmaps and the paper catalog give, each with the passage its answer is quoted from."""
    try:
        cards = Assistant(_settings()).cards(topic)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    if as_json:
        print(json.dumps([{"id": c.id, **_card_row(c)} for c in cards], indent=2))
        return
    for card in cards:
        console.print(
            f"[bold]{escape(card.front)}[/]\n  {escape(card.back)}\n  [dim]{escape(card.where)}[/]", highlight=False
        )
    kinds = Counter(c.kind for c in cards)
    console.print(f"cards: {len(cards)} ({', '.join(f'{n} {k}' for k, n in kinds.items())})")


@cards_app.command("export")
def cards_export_cmd(
    anki: Annotated[Path, typer.Option("--anki", help="The deck file to write, e.g. deck.apkg.")],
    topic: Annotated[str, typer.Option(help="Only the cards on this topic (none: every card).")] = "",
) -> None:
    """Write the cards as an Anki deck: each note holds the question, the answer, its passage, where that is,
    and the link. Importing a newer export updates the notes instead of adding copies."""
    from roadmap_rag.learn.anki import export_deck

    try:
        cards = Assistant(_settings()).cards(topic)
        if not cards:
            raise ConfigError(f"no cards on {topic!r}; `roadmap-rag cards list` shows every card")
        written = export_deck(cards, anki)
    except RoadmapRagError as exc:
        raise _fail(exc) from exc
    console.print(f"cards: {written} notes written to {escape(str(anki))}")
