"""A document's name found in a question: what retrieval searches within."""

from __future__ import annotations

import pytest

from roadmap_rag.index.lexical import DocumentInfo
from roadmap_rag.retrieve.query_text import name_patterns

pytestmark = pytest.mark.fast

DOCUMENTS = {
    "comprehensive-llm-curriculum": DocumentInfo("Comprehensive LLM Curriculum", "roadmap", ("curriculum",)),
    "core-llm-roadmap": DocumentInfo("Large Language Models (LLM) Roadmap", "roadmap", ("core roadmap",)),
}


def _named(question: str) -> list[str]:
    return [doc_id for pattern, doc_id in name_patterns(DOCUMENTS) if pattern.search(question)]


def test_a_terse_question_that_opens_on_a_roadmaps_name_names_it() -> None:
    """ "curriculum study tips" was answered with the 14-day author's bonus tips: without "the", the curriculum
    went unnamed and retrieval searched every roadmap."""
    assert _named("curriculum study tips") == ["comprehensive-llm-curriculum"]
    assert _named("core roadmap projects for beginners") == ["core-llm-roadmap"]
    assert _named("what are the study tips in the curriculum") == ["comprehensive-llm-curriculum"]
    # Inside a question, the bare word is no name: "which curriculum" asks about curricula at large.
    assert _named("which curriculum should a beginner follow") == []


def test_a_name_typed_with_a_doubled_letter_once_or_as_a_whole_is_still_its_name() -> None:
    """ "curiculum q - which module sits right before prompt engineering" searched every roadmap: "curiculum" was
    no name; nor was "the whole curriculum"."""
    assert _named("curiculum q - which module sits right before prompt engineering") == ["comprehensive-llm-curriculum"]
    assert _named("what comes after the whole curriculum") == ["comprehensive-llm-curriculum"]
    assert _named("what is in the core roadmap") == ["core-llm-roadmap"]
