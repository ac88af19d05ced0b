"""Flashcards: each answer's keys verbatim in the passage the card cites, one card per fact, stable ids, and the
Anki export a learner imports (read back as the SQLite collection Anki opens)."""

from __future__ import annotations

import html
import sqlite3
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from roadmap_rag import Assistant
from roadmap_rag.errors import ConfigError
from roadmap_rag.learn.anki import export_deck
from roadmap_rag.learn.cards import KINDS, build_cards, cards_on, in_passage
from roadmap_rag.learn.curriculum import Curriculum
from roadmap_rag.learn.glossary import build_glossary
from tests.learn.test_glossary import ALIGNMENT, SERVING, _library

pytestmark = pytest.mark.fast


def test_cards_from_a_small_corpus_state_what_its_passages_say() -> None:
    curriculum = Curriculum(_library(("alignment", ALIGNMENT), ("serving", SERVING)))
    cards = build_cards(curriculum, build_glossary(curriculum))
    by_front = {c.front: c for c in cards}
    rlhf = by_front["What does RLHF stand for?"]
    assert rlhf.back == "Reinforcement Learning from Human Feedback" and rlhf.kind == "expansion"
    assert rlhf.source.doc_id == "alignment" and in_passage(rlhf.back, rlhf.source)
    reward = next(c for c in cards if c.kind == "term" and c.subject == "Reward model")
    assert reward.back == "A model trained on human preference comparisons to score the policy's outputs."
    assert reward.where.startswith("Alignment Roadmap") and "Key terms" in reward.where
    # A bare "LoRA (Low-Rank Adaptation)" item says nothing more than its two forms: one card, not two.
    assert [c.kind for c in cards if c.subject == "LoRA"] == ["expansion"]
    assert not any(c.subject in ("Linear Algebra", "Documentation is your friend") for c in cards)


def test_every_card_of_the_shipped_corpus_has_its_keys_in_its_passage(fake_assistant: Assistant) -> None:
    cards = fake_assistant.cards()
    kinds = Counter(c.kind for c in cards)
    assert set(kinds) == set(KINDS) and len(cards) >= 80, kinds
    assert len({c.id for c in cards}) == len(cards)
    assert len({(c.front, c.source.doc_id) for c in cards}) == len(cards)  # no card asked twice of one document
    for card in cards:
        assert card.keys and all(in_passage(key, card.source) for key in card.keys), card
        assert card.back.strip() and (card.front.endswith("?") or "Name three" in card.front), card.front
    papers = [c for c in cards if c.kind == "paper"]
    assert all(c.source.url for c in papers)  # a paper's card links to the paper


def test_card_ids_are_the_same_when_the_cards_are_built_again(fake_assistant: Assistant) -> None:
    curriculum = fake_assistant.curriculum()
    again = build_cards(curriculum, build_glossary(curriculum))
    assert [c.id for c in again] == [c.id for c in fake_assistant.cards()]


def test_cards_on_a_topic_name_it(fake_assistant: Assistant) -> None:
    rlhf = fake_assistant.cards("RLHF")
    assert rlhf and all("rlhf" in f"{c.subject} {c.front} {c.back}".lower() for c in rlhf)
    assert "What does RLHF stand for?" in {c.front for c in rlhf}
    assert fake_assistant.cards("sourdough") == []
    assert cards_on(fake_assistant.cards(), "") == fake_assistant.cards()


def test_the_anki_deck_holds_every_card_with_its_passage_and_link(fake_assistant: Assistant, tmp_path: Path) -> None:
    cards = fake_assistant.cards()
    deck = tmp_path / "deck.apkg"
    assert export_deck(cards, deck) == len(cards)
    with zipfile.ZipFile(deck) as package:
        assert "collection.anki2" in package.namelist()
        package.extract("collection.anki2", tmp_path)
    with sqlite3.connect(tmp_path / "collection.anki2") as db:
        notes = [row[0].split("\x1f") for row in db.execute("select flds from notes")]
        models = db.execute("select models from col").fetchone()[0]
    assert len(notes) == len(cards) and "roadmap-rag card" in models
    by_id = {fields[5]: fields for fields in notes}
    for card in cards:
        front, back, passage, where, link, _ = by_id[card.id]
        assert "<" not in passage  # a passage's markup is escaped: it shows as text
        assert html.unescape(front) == card.front and html.unescape(back) == card.back
        assert html.unescape(passage) == " ".join(card.source.text.split())
        assert html.unescape(where) == card.where and html.unescape(link) == (card.source.url or "")
    # Exported again: the same notes (Anki updates them on import instead of adding copies).
    again = tmp_path / "again.apkg"
    export_deck(cards, again)
    with zipfile.ZipFile(again) as package:
        package.extract("collection.anki2", tmp_path / "again")
    with sqlite3.connect(tmp_path / "again" / "collection.anki2") as db:
        guids_again = sorted(row[0] for row in db.execute("select guid from notes"))
    with sqlite3.connect(tmp_path / "collection.anki2") as db:
        assert sorted(row[0] for row in db.execute("select guid from notes")) == guids_again


def test_a_deck_file_must_end_in_apkg(fake_assistant: Assistant, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ends in \.apkg"):
        export_deck(fake_assistant.cards()[:1], tmp_path / "deck.zip")
    assert not (tmp_path / "deck.zip").exists()
