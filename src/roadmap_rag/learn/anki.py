"""Cards as an Anki deck (.apkg, written by genanki): each note carries the question, the answer, the passage
it is quoted from, where that passage is, and its link.

The note type's and the deck's ids are fixed, and each note's guid comes from its card's id, so importing a
newer export into Anki updates the notes already there instead of adding copies.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from roadmap_rag.errors import ConfigError
from roadmap_rag.learn.cards import Card

MODEL_ID = 1_761_530_301
DECK_ID = 1_761_530_302
FIELDS = ("Front", "Back", "Passage", "Where", "Link", "CardId")
_BACK = """{{FrontSide}}<hr id="answer">{{Back}}
<div class="passage">{{Passage}}</div>
<div class="where">{{Where}}{{#Link}} · <a href="{{Link}}">{{Link}}</a>{{/Link}}</div>"""
_CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.passage { margin-top: 1em; padding: .5em; border-left: 3px solid #999; color: #333; font-size: 15px; }
.where { margin-top: .5em; color: #666; font-size: 13px; }"""


def export_deck(cards: Sequence[Card], path: Path, name: str = "roadmap-rag: LLM roadmaps") -> int:
    """Write ``cards`` to ``path`` as an .apkg; the number of notes written. Text is HTML-escaped, so a
    passage's markup shows as text in Anki."""
    import genanki

    if path.suffix != ".apkg":
        raise ConfigError(f"{path}: an Anki deck file ends in .apkg; name it e.g. deck.apkg")
    model = genanki.Model(
        MODEL_ID,
        "roadmap-rag card",
        fields=[{"name": field} for field in FIELDS],
        templates=[{"name": "Card", "qfmt": "{{Front}}", "afmt": _BACK}],
        css=_CSS,
    )
    deck = genanki.Deck(DECK_ID, name)
    for card in cards:
        link = card.source.url or ""
        fields = [card.front, card.back, " ".join(card.source.text.split()), card.where, link, card.id]
        tags = [f"roadmap-rag::{card.kind}", card.source.doc_id]
        deck.add_note(
            genanki.Note(
                model=model, fields=[html.escape(f) for f in fields], guid=genanki.guid_for(card.id), tags=tags
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        genanki.Package(deck).write_to_file(str(path))
    except OSError as exc:
        raise ConfigError(
            f"could not write the deck to {path} ({exc.strerror or exc}); choose a folder you can write to"
        ) from exc
    return len(cards)
