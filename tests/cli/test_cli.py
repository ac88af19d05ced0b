"""The `roadmap-rag` command as a learner meets it (issue 30, item 10), and an empty index (item 5) in the
Python API and the CLI: every failure a sentence with its remedy, exit codes a script can rely on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from roadmap_rag import Assistant, Settings
from roadmap_rag.cli import app
from roadmap_rag.errors import IndexUnavailable
from roadmap_rag.index.embeddings import Embedder
from tests.conftest import CORPUS


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    return {"ROADMAP_RAG_DATA_DIR": str(data_dir), "ROADMAP_RAG_CORPUS_DIR": str(CORPUS), **extra}


@pytest.fixture
def cli_env(assistant: Assistant) -> dict[str, str]:
    return env_for(assistant.settings.data_dir)


def test_an_empty_index_says_ingest_first_not_not_covered(tmp_path: Path, embedder: Embedder) -> None:
    empty = Assistant(Settings(data_dir=tmp_path / "data", corpus_dir=CORPUS, llm="extractive"), embedder=embedder)
    with pytest.raises(IndexUnavailable, match=r"nothing is indexed yet: run `roadmap-rag ingest`"):
        empty.ask("What is LoRA?")
    with pytest.raises(IndexUnavailable, match=r"nothing is indexed yet"):
        empty.retrieve("What is LoRA?")
    asked = CliRunner().invoke(app, ["ask", "What is LoRA?"], env=env_for(tmp_path / "data"), terminal_width=200)
    assert asked.exit_code == 2, asked.output
    assert "nothing is indexed yet: run `roadmap-rag ingest`" in asked.output
    assert "not cover" not in asked.output and "Traceback" not in asked.output


def test_progress_refuses_a_section_that_does_not_exist_and_names_the_closest(cli_env: dict[str, str]) -> None:
    from roadmap_rag.learn.progress import ProgressStore

    runner, data_dir = CliRunner(), Path(cli_env["ROADMAP_RAG_DATA_DIR"])
    spec = "comprehensive-llm-curriculum:Tokenisation and preprocessing"
    typo = runner.invoke(app, ["progress", "--profile", "cli-typo", "--done", spec], env=cli_env)
    assert typo.exit_code == 2, typo.output
    assert "no section" in typo.output and "3. Tokenization & Preprocessing" in typo.output  # the closest
    assert ProgressStore(Settings(data_dir=data_dir), "cli-typo").done() == set()  # nothing saved
    # A section's title, in any case and without its number, names it; it is saved as the roadmap's section.
    title = "comprehensive-llm-curriculum:tokenization & preprocessing"
    named = runner.invoke(app, ["progress", "--profile", "cli-title", "--done", title], env=cli_env)
    assert named.exit_code == 0, named.output
    assert ProgressStore(Settings(data_dir=data_dir), "cli-title").done() == {
        ("comprehensive-llm-curriculum", "3. Tokenization & Preprocessing")
    }
    assert "The curriculum: 4. Pretraining LLMs (section 5 of 19" in named.output


def test_doctor_says_auto_falls_back_to_the_composer() -> None:
    from roadmap_rag.cli.doctor import check_ollama
    from roadmap_rag.index.chroma_server import free_port

    check = check_ollama(Settings(llm="auto", ollama_host=f"http://127.0.0.1:{free_port()}"))  # nothing listens
    assert check.status == "warn" and "embedded model" not in check.detail
    assert "from the sources without an LLM" in check.detail


def _commands() -> list[list[str]]:
    from typer.main import get_command

    found: list[list[str]] = []

    def walk(group: Any, path: list[str]) -> None:
        for name, command in group.commands.items():
            found.append([*path, name])
            if hasattr(command, "commands"):  # a group: papers, eval
                walk(command, [*path, name])

    walk(get_command(app), [])
    return found


def test_every_commands_help_has_an_example_and_shows_flags_as_flags() -> None:
    commands = _commands()
    assert len(commands) >= 18
    for command in commands:
        shown = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
        assert shown.exit_code == 0, (command, shown.output)
        assert "Example" in shown.output and f"roadmap-rag {' '.join(command)}" in shown.output, command
        assert "<bool>" not in shown.output, (command, shown.output)


def _no_ollama(data_dir: Path) -> dict[str, str]:
    from roadmap_rag.index.chroma_server import free_port

    return env_for(data_dir, ROADMAP_RAG_LLM="auto", ROADMAP_RAG_OLLAMA_HOST=f"http://127.0.0.1:{free_port()}")


def test_the_ollama_note_is_short_and_said_once_a_chat(assistant: Assistant) -> None:
    env = _no_ollama(assistant.settings.data_dir)
    chat = CliRunner().invoke(app, ["chat"], env=env, input="What is LoRA?\nAnd QLoRA?\n\n")
    assert chat.exit_code == 0 and "chat: 2 questions answered" in chat.output, chat.output
    notes = [line for line in chat.output.splitlines() if "Ollama" in line]
    assert len(notes) == 1 and len(notes[0]) <= 100, notes
    asked = CliRunner().invoke(app, ["ask", "What is LoRA?"], env=env)
    notes = [line for line in asked.output.splitlines() if "Ollama" in line]
    assert asked.exit_code == 0 and len(notes) == 1 and len(notes[0]) <= 100, notes


def test_long_lines_wrap_on_word_boundaries(cli_env: dict[str, str]) -> None:
    question = ["ask", "What does the curriculum say about fine-tuning and adaptation?", "--llm", "extractive"]
    whole = CliRunner().invoke(app, question, env=cli_env)  # piped, no width: one line per paragraph
    longest = max(whole.output.splitlines(), key=len)
    assert len(longest) > 60
    wrapped = CliRunner().invoke(app, question, env={**cli_env, "COLUMNS": "60"})
    lines = wrapped.output.splitlines()
    assert max(len(line) for line in lines) <= 60, wrapped.output
    assert " ".join(longest.split()) in " ".join(" ".join(lines).split())  # no word cut in two


def test_status_names_the_settings_file_before_anything_else(  # opens Chroma: not the fast tier
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.setenv("ROADMAP_RAG_DATA_DIR", str(tmp_path / "data"))
    toml = tmp_path / "roadmap-rag.toml"
    toml.write_text('ollama_host = "http://learner:s3cret@10.0.0.2:11434"\n', encoding="utf-8")
    shown = CliRunner().invoke(app, ["status"], terminal_width=400)
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(f"settings: {toml} sets ollama_host;")
    assert "data_dir" in shown.output.splitlines()[0]  # what the environment sets, too
    as_json = CliRunner().invoke(app, ["status", "--json"])
    settings = json.loads(as_json.output)["settings"]
    assert settings["file"] == str(toml) and settings["from"]["ollama_host"] == "file"
    assert "s3cret" not in shown.output + as_json.output
