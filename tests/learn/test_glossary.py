"""The glossary: every term the roadmaps define or expand, each definition verbatim from the passage it cites,
one entry per term whichever roadmaps define it, searchable by the term or its long form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roadmap_rag import Assistant
from roadmap_rag.corpus.chunking import chunk_document
from roadmap_rag.corpus.documents import Document
from roadmap_rag.learn.curriculum import Curriculum
from roadmap_rag.learn.glossary import GlossaryEntry, build_glossary, nearest, search
from roadmap_rag.retrieve.library import Library
from roadmap_rag.types import Kind
from tests.conftest import CORPUS

ALIGNMENT = """# Alignment Roadmap

## Contents
- Key terms
- Alignment

## Key terms
- Reward model - A model trained on human preference comparisons to score the policy's outputs.
- Context window - The text a model can attend to at once, counted in tokens.
- Linear Algebra - MIT OpenCourseWare
- Documentation is your friend - Hugging Face docs are gold mines for every learner.

## Alignment
Models are tuned with Reinforcement Learning from Human Feedback (RLHF) after pre-training.
- LoRA (Low-Rank Adaptation)
"""

SERVING = """# Serving Roadmap

## Tuning
- RLHF (Reinforcement Learning from Human Feedback)
- Retrieval-augmented generation - Grounding responses in verified external information.
- Retrieval-Augmented Generation (RAG)
"""


def _library(*docs: tuple[str, str]) -> Library:
    chunks = []
    for doc_id, text in docs:
        title = text.splitlines()[0].lstrip("# ")
        doc = Document(id=doc_id, title=title, kind=Kind.ROADMAP, source=Path(), text=text, is_markdown=True)
        chunks += chunk_document(doc)
    return Library(chunks)


@pytest.fixture(scope="module")
def small() -> list[GlossaryEntry]:
    return build_glossary(Curriculum(_library(("alignment", ALIGNMENT), ("serving", SERVING))))


def _entry(entries: list[GlossaryEntry], term: str) -> GlossaryEntry:
    return next(e for e in entries if e.term == term)


@pytest.mark.fast
def test_acronyms_either_way_round_and_term_lines_are_entries(small: list[GlossaryEntry]) -> None:
    assert [e.term for e in small] == ["Context window", "LoRA", "RAG", "Reward model", "RLHF"]  # case aside
    lora = _entry(small, "LoRA")
    assert lora.expansion == "Low-Rank Adaptation" and lora.definition == "LoRA (Low-Rank Adaptation)"
    reward = _entry(small, "Reward model")
    assert reward.expansion == ""
    assert reward.definition == "A model trained on human preference comparisons to score the policy's outputs."
    assert reward.sources[0].roadmap == "Alignment Roadmap" and reward.sources[0].section.endswith("Key terms")


@pytest.mark.fast
def test_resources_sentences_and_contents_lines_are_not_terms(small: list[GlossaryEntry]) -> None:
    terms = {e.term for e in small}
    assert not terms & {"Linear Algebra", "Documentation is your friend", "Key terms", "Alignment"}


@pytest.mark.fast
def test_a_term_in_two_roadmaps_is_one_entry_with_each_roadmaps_definition(small: list[GlossaryEntry]) -> None:
    rlhf = _entry(small, "RLHF")
    assert rlhf.expansion == "Reinforcement Learning from Human Feedback"
    assert [q.source.doc_id for q in rlhf.sources] == ["alignment", "serving"]  # the sentence before the bare item
    assert rlhf.definition == (
        "Models are tuned with Reinforcement Learning from Human Feedback (RLHF) after pre-training."
    )
    rag = _entry(small, "RAG")  # the "Term - explanation" line of its long form joins the acronym, and comes first
    assert rag.expansion == "Retrieval-Augmented Generation" and len(rag.sources) == 1
    assert rag.definition == "Grounding responses in verified external information."
    for entry in small:
        for quoted in entry.sources:
            assert " ".join(quoted.quote.split()) in " ".join(quoted.source.text.split())


@pytest.mark.fast
def test_search_puts_the_exact_term_first_then_prefixes_then_substrings(small: list[GlossaryEntry]) -> None:
    assert [e.term for e in search(small, "rlhf")] == ["RLHF"]
    assert [e.term for e in search(small, "low rank")] == ["LoRA"]  # the long form, hyphens aside
    assert [e.term for e in search(small, "re")][:2] == ["Reward model", "RAG"]  # term prefix, then long form's
    assert [e.term for e in search(small, "window")] == ["Context window"]
    assert search(small, "") == small and search(small, "sourdough") == []
    assert nearest(small, "RLFH") == ["RLHF"]


@pytest.mark.fast
def test_the_api_builds_the_glossary_once_per_index(fake_assistant: Assistant) -> None:
    everything = fake_assistant.glossary()
    assert everything and fake_assistant._glossary is not None
    cached = fake_assistant._glossary[1]
    assert fake_assistant.glossary("LoRA")[0].term == "LoRA"
    assert fake_assistant._glossary[1] is cached  # not rebuilt


# -- the shipped corpus, on the session index ------------------------------------------------------------
def test_the_shipped_roadmaps_terms_each_quoted_from_its_source(assistant: Assistant) -> None:
    entries = assistant.glossary()
    by_term = {e.term: e for e in entries}
    # What the roadmaps spell out (DPO and KV cache are named, never defined or spelled out).
    expected = {
        "RLHF": "Reinforcement Learning from Human Feedback",
        "LoRA": "Low-Rank Adaptation",
        "PPO": "Proximal Policy Optimization",
        "RAG": "Retrieval-Augmented Generation",
        "MoE": "Mixture of Experts",
        "BPE": "Byte-Pair Encoding",
        "RoPE": "Rotary Positional Embedding",
    }
    assert {term: by_term[term].expansion for term in expected} == expected
    assert "Context window" in by_term and by_term["Context window"].definition.startswith("LLMs can")
    assert len(by_term["RAG"].sources) == 4 and len(by_term["RLHF"].sources) == 2
    assert len({e.term.casefold() for e in entries}) == len(entries)  # no term twice
    assert [e.term.casefold() for e in entries] == sorted(e.term.casefold() for e in entries)
    for entry in entries:
        assert entry.definition == entry.sources[0].quote
        assert len({q.source.doc_id for q in entry.sources}) == len(entry.sources)  # one per roadmap
        for quoted in entry.sources:
            assert " ".join(quoted.quote.split()) in " ".join(quoted.source.text.split()), entry.term
            assert quoted.source.kind == Kind.ROADMAP
    assert assistant.glossary("rlhf")[0].term == "RLHF"
    assert assistant.glossary("low-rank")[0].term == "LoRA"


def test_cli_glossary(assistant: Assistant) -> None:
    from typer.testing import CliRunner

    from roadmap_rag.cli import app

    env = {"ROADMAP_RAG_DATA_DIR": str(assistant.settings.data_dir), "ROADMAP_RAG_CORPUS_DIR": str(CORPUS)}
    runner = CliRunner()
    shown = runner.invoke(app, ["glossary", "RLHF"], env=env, terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "RLHF — Reinforcement Learning from Human Feedback" in shown.output
    assert "“This includes Reinforcement Learning from Human Feedback (RLHF)" in shown.output
    assert "(Complete Large Language Model (LLM) Learning Roadmap — 6. Advanced LLM Topics" in shown.output
    assert "glossary: 1 term matches 'RLHF'" in shown.output
    unknown = runner.invoke(app, ["glossary", "sourdough"], env=env, terminal_width=200)
    assert unknown.exit_code == 1 and "No roadmap defines 'sourdough'. Nearest terms:" in unknown.output
    listed = runner.invoke(app, ["glossary"], env=env, terminal_width=200)
    assert listed.exit_code == 0 and f"glossary: {len(assistant.glossary())} terms from 5 roadmaps" in listed.output
    as_json = runner.invoke(app, ["glossary", "lora", "--json"], env=env)
    assert as_json.exit_code == 0 and json.loads(as_json.output)[0]["expansion"] == "Low-Rank Adaptation"
