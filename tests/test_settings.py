"""Settings fail loudly on typos in the constructor and in roadmap-rag.toml, and stay tolerant in the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roadmap_rag.cli import app
from roadmap_rag.errors import ConfigError
from roadmap_rag.settings import Settings, setting_names

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)


def test_a_constructor_typo_names_the_key_and_the_nearest_setting() -> None:
    with pytest.raises(ConfigError, match=r"Settings\(\): unknown setting 'top_kk'; did you mean 'top_k'\?"):
        Settings(top_kk=3)  # type: ignore[call-arg]


def test_a_typo_in_the_file_names_the_file_the_key_and_the_nearest_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roadmap-rag.toml").write_text("top_k = 4\nchunk_szie = 500\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        Settings()
    message = str(raised.value)
    assert str(tmp_path / "roadmap-rag.toml") in message
    assert "unknown setting 'chunk_szie'; did you mean 'chunk_size'?" in message


def test_a_key_like_no_setting_points_at_the_list() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'colour_scheme'; `roadmap-rag config` lists every"):
        Settings(colour_scheme="dark")  # type: ignore[call-arg]


def test_valid_keys_and_the_ollama_alias_still_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    (tmp_path / "roadmap-rag.toml").write_text('top_k = 4\nollama_host = "http://10.0.0.2:11434"\n', encoding="utf-8")
    settings = Settings()
    assert (settings.top_k, settings.ollama_host) == (4, "http://10.0.0.2:11434")
    assert Settings(OLLAMA_HOST="http://10.0.0.3:1").ollama_host == "http://10.0.0.3:1"  # type: ignore[call-arg]


def test_the_environment_stays_tolerant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROADMAP_RAG_TOPKK", "3")  # another version's variable, or a typo: not our business to stop
    monkeypatch.setenv("ROADMAP_RAG_TOP_K", "7")
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    settings = Settings()
    assert (settings.top_k, settings.ollama_host) == (7, "http://127.0.0.1:9")


def test_every_field_and_alias_is_a_known_key() -> None:
    assert set(Settings.model_fields) | {"ollama_host", "roadmap_rag_ollama_host"} <= setting_names()


def test_the_cli_prints_the_typo_and_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roadmap-rag.toml").write_text("top_kk = 3\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["config"], terminal_width=200)
    assert result.exit_code == 2
    assert "unknown setting 'top_kk'; did you mean 'top_k'?" in result.output
    assert "Traceback" not in result.output


def test_an_invalid_value_is_a_message_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROADMAP_RAG_TOP_K", "0")
    result = CliRunner().invoke(app, ["config"], terminal_width=200)
    assert result.exit_code == 2
    assert "invalid settings (top_k:" in result.output


def _rows(output: str) -> dict[str, list[str]]:
    """The rows of a table printed by rich, by their first cell."""
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in output.splitlines()]
    return {row[0]: row for row in rows if row and row[0]}


def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, *args: str) -> str:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roadmap-rag.toml").write_text(toml, encoding="utf-8")
    result = CliRunner().invoke(app, ["config", *args], terminal_width=400)
    assert result.exit_code == 0, result.output
    return result.output


def test_config_says_which_file_and_which_variable_each_value_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A roadmap-rag.toml in the working directory that redirects Ollama and the spans is named, with its keys."""
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.setenv("ROADMAP_RAG_TOP_K", "7")
    toml = 'ollama_host = "http://10.0.0.2:11434"\notel_endpoint = "http://10.0.0.2:4317"\ntop_k = 4\n'
    output = _config(tmp_path, monkeypatch, toml)
    assert f"settings: {tmp_path / 'roadmap-rag.toml'} sets top_k, ollama_host, otel_endpoint" in output
    rows = _rows(output)
    assert rows["ollama_host"][-1] == "file" and rows["otel_endpoint"][-1] == "file"
    assert rows["top_k"][-1] == "env" and "7" in rows["top_k"]  # the environment wins over the file
    assert rows["chunk_size"][-1] == "default"


def test_config_never_shows_a_token_or_the_credentials_in_an_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://learner:s3cret-Pw@10.0.0.2:11434")
    monkeypatch.setenv("ROADMAP_RAG_API_TOKEN", "tok-s3cret")
    toml = 'otel_endpoint = "https://spans:otel-s3cret@collector.example:4317"\n'
    table = _config(tmp_path, monkeypatch, toml)
    assert "s3cret" not in table
    assert "'http://***@" in table and _rows(table)["api_token"][2] == "'***'"
    values = json.loads(_config(tmp_path, monkeypatch, toml, "--json"))
    assert "s3cret" not in json.dumps(values) and values["api_token"] == "***"
    assert values["ollama_host"] == "http://***@10.0.0.2:11434"
    assert values["otel_endpoint"] == "https://***@collector.example:4317"
