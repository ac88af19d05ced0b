"""`roadmap-rag review` and `roadmap-rag cards` as a learner uses them, on the session index."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from roadmap_rag import Assistant
from roadmap_rag.cli import app
from roadmap_rag.learn.study import StudyStore
from tests.conftest import CORPUS


def _env(assistant: Assistant) -> dict[str, str]:
    return {"ROADMAP_RAG_DATA_DIR": str(assistant.settings.data_dir), "ROADMAP_RAG_CORPUS_DIR": str(CORPUS)}


def test_a_review_session_rates_cards_and_schedules_them(assistant: Assistant) -> None:
    runner, env, profile = CliRunner(), _env(assistant), "cli-review"
    listed = runner.invoke(app, ["review", "--profile", profile, "--new", "5", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    due = json.loads(listed.output)
    assert len(due) == 5 and all(row["new"] and row["passage"] for row in due)
    # Enter shows the answer; 3 rates it good; the next card is rated again (1); q stops at the third.
    session = runner.invoke(
        app, ["review", "--profile", profile, "--new", "5"], env=env, input="\n3\n\nx\n1\nq\n", terminal_width=200
    )
    assert session.exit_code == 0, session.output
    assert due[0]["front"] in session.output and due[0]["back"] in session.output
    assert "type 1, 2, 3 or 4" in session.output  # "x" is not a rating: asked again
    assert "review: 2 of 5 cards rated (1 again, 1 good) for cli-review" in session.output
    assert "next review" in session.output
    ratings = StudyStore(assistant.settings, profile).schedules()
    assert set(ratings) == {due[0]["id"], due[1]["id"]}
    after = json.loads(runner.invoke(app, ["review", "--profile", profile, "--new", "5", "--json"], env=env).output)
    # The day's other new cards: five a day, two of them taken; the rated ones are not due yet.
    assert len(after) == 3 and all(row["new"] for row in after)
    assert not {row["id"] for row in after} & set(ratings)


def test_cards_export_writes_an_anki_deck_and_list_filters_by_topic(assistant: Assistant, tmp_path: Path) -> None:
    runner, env = CliRunner(), _env(assistant)
    deck = tmp_path / "lora.apkg"
    exported = runner.invoke(app, ["cards", "export", "--anki", str(deck), "--topic", "LoRA"], env=env)
    assert exported.exit_code == 0, exported.output
    lora = assistant.cards("LoRA")
    assert f"cards: {len(lora)} notes written to" in exported.output
    with zipfile.ZipFile(deck) as package:
        package.extract("collection.anki2", tmp_path)
    with sqlite3.connect(tmp_path / "collection.anki2") as db:
        fronts = {row[0].split("\x1f")[0] for row in db.execute("select flds from notes")}
    assert "What does LoRA stand for?" in fronts and len(fronts) == len(lora)
    listed = runner.invoke(app, ["cards", "list", "LoRA"], env=env, terminal_width=200)
    assert listed.exit_code == 0 and f"cards: {len(lora)} (" in listed.output
    nothing = runner.invoke(
        app, ["cards", "export", "--anki", str(tmp_path / "x.apkg"), "--topic", "sourdough"], env=env
    )
    assert nothing.exit_code == 2 and "no cards on 'sourdough'" in nothing.output and "Traceback" not in nothing.output
    wrong = runner.invoke(app, ["cards", "export", "--anki", str(tmp_path / "deck.csv")], env=env)
    assert wrong.exit_code == 2 and "ends in .apkg" in wrong.output
