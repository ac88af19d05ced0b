"""Reference extraction over the real roadmaps, and the catalog kept in step with it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from roadmap_rag.corpus.catalog import load_catalog
from roadmap_rag.corpus.documents import Document
from roadmap_rag.corpus.paper_links import scan, scan_corpus, scan_document, write_places
from roadmap_rag.errors import ConfigError
from roadmap_rag.settings import Settings
from tests.conftest import CORPUS

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)

# The papers the issue names, as the roadmaps name them, and the catalog entry each must resolve to.
NAMED = {
    "Attention is All You Need": "transformer",
    "BERT Paper": "bert",
    "GPT-3 paper": "gpt-3",
    "InstructGPT Paper": "instructgpt",
    "LoRA": "lora",
    "FLAN Paper": "flan",
    "RAG Paper": "rag",
    "ReAct Paper": "react",
    "Chain-of-Thought Prompting Paper": "chain-of-thought",
    "Switch Transformers": "switch-transformers",
    "LLM.int8() Paper": "llm-int8",
    "GPTQ Paper": "gptq",
    "SimCSE Paper": "simcse",
    "CLIP Paper": "clip",
    "ROME Paper": "rome",
    "Scaling Laws for Neural Language Models": "scaling-laws",
}


@pytest.fixture(scope="module")
def shipped() -> tuple:
    return scan_corpus(Settings(corpus_dir=CORPUS))


def test_every_arxiv_link_in_the_roadmaps_is_found_and_resolved(shipped) -> None:
    _, result, errors = shipped
    assert not errors
    in_files = set()
    for path in (CORPUS / "roadmaps").iterdir():
        in_files |= set(re.findall(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", path.read_text(encoding="utf-8")))
    found = {r.text.rsplit("/", 1)[-1] for r in result.references if r.kind == "arxiv"}
    assert in_files and found == in_files
    assert all(r.resolved for r in result.references if r.kind == "arxiv")


def test_the_named_papers_resolve_and_nothing_is_left_unresolved(shipped) -> None:
    catalog, result, _ = shipped
    for name, paper_id in NAMED.items():
        refs = [r for r in result.references if name.casefold() in r.text.casefold()]
        assert refs, f"{name!r} not found in the roadmaps"
        assert any(paper_id in r.papers for r in refs), f"{name!r} did not resolve to {paper_id}"
    assert result.unresolved == []
    assert len(catalog.papers) >= 30 and len(result.resolved_papers()) >= 25


def test_the_catalog_records_where_each_paper_is_recommended(shipped) -> None:
    """`papers scan --write` output is committed: the catalog agrees with a fresh scan."""
    catalog, result, _ = shipped
    for paper in catalog.papers:
        assert list(paper.cited_by) == result.cited_by(paper.id), paper.id
        assert list(paper.mentioned_in) == result.mentioned_in(paper.id), paper.id
        assert paper.cited_by or paper.mentioned_in, f"{paper.id} is named by no roadmap"
    lora = catalog.get("lora")
    assert lora is not None and lora.citation == "LoRA (Hu et al., 2021)"
    assert any(ref.section.endswith("5.3 Training Techniques") for ref in lora.cited_by)


def test_an_unknown_name_is_reported_not_guessed(shipped) -> None:
    catalog = shipped[0]
    text = (
        "Guide\n\n## Reading\n- Resource: Quux Networks Paper\n- Resource: BERT Paper\n"
        "- Resource: Ollama\nSee arXiv:2401.99999 and https://arxiv.org/abs/2106.09685v2\n"
    )
    doc = Document(id="guide", title="Guide", kind="roadmap", source=Path("guide.md"), text=text, is_markdown=True)
    refs = scan_document(doc, catalog)
    explicit = {r.text: r.papers for r in refs if r.kind != "mention"}
    assert explicit["Quux Networks Paper"] == ()
    assert explicit["BERT Paper"] == ("bert",)
    assert "Ollama" not in explicit  # a resource that is not a paper is not a reference
    assert explicit["arXiv:2401.99999"] == () and explicit["arxiv.org/abs/2106.09685v2"] == ("lora",)
    assert {r.section for r in refs if r.text == "BERT Paper"} == {"Reading"}
    assert [r.text for r in scan([doc], catalog).unresolved] == ["Quux Networks Paper", "arXiv:2401.99999"]


def test_write_places_keeps_comments_and_is_idempotent(tmp_path: Path, shipped) -> None:
    catalog, result, _ = shipped
    copy = tmp_path / "catalog.yaml"
    original = catalog.path.read_text(encoding="utf-8")
    stripped = re.sub(r"\n    (cited_by|mentioned_in):\n(      - .*\n)+", "\n", original)
    copy.write_text(stripped, encoding="utf-8")
    assert write_places(load_catalog(copy), result) > 20
    assert copy.read_text(encoding="utf-8") == original  # comments and order kept
    assert write_places(load_catalog(copy), result) == 0


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("papers:\n  - {id: a, title: T, short: S, authors: [X], year: 2020}\n", "papers[0] (a): field 'introduces'"),
        (
            "papers:\n  - {id: a, title: T, short: S, authors: [X], year: 2020, introduces: i, arxiv: '12'}\n",
            "is not an arXiv id",
        ),
        (
            "papers: [{id: a, title: T, short: S, authors: [X], year: 2020, introduces: i},"
            " {id: a, title: U, short: S, authors: [X], year: 2020, introduces: i}]\n",
            "id 'a' is used twice",
        ),
        ("papers: {oops\n", "not valid YAML"),
    ],
)
def test_a_bad_catalog_names_the_entry_and_field(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_catalog(path)


def test_the_scan_command_lists_the_catalog_and_counts(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from roadmap_rag.cli import app

    env = {"ROADMAP_RAG_CORPUS_DIR": str(CORPUS), "ROADMAP_RAG_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["papers", "scan"], env=env, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert re.search(r"scan: (\d+) references in the roadmaps, \1 resolved to \d+ papers, 0 unresolved", result.output)
    as_json = CliRunner().invoke(app, ["papers", "scan", "--json"], env=env)
    rows = {row["id"]: row for row in json.loads(as_json.output)["papers"]}
    assert rows["lora"]["citation"] == "LoRA (Hu et al., 2021)" and rows["lora"]["arxiv"] == "2106.09685"
    assert rows["lora"]["recommended_in"] >= 1
