"""A paper's sentences as answers: which can state a fact, what each needs around it, how well one answers, and
the rerank of a named paper's chunks by their best sentence."""

from __future__ import annotations

import pytest

from roadmap_rag.answer.compose import Composer
from roadmap_rag.corpus.chunking import Chunk
from roadmap_rag.retrieve import paper_sentences
from roadmap_rag.retrieve.library import Library, to_source
from roadmap_rag.text.units import Unit
from roadmap_rag.text.words import acronyms
from roadmap_rag.types import Kind

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)

FRONT = "FOONET: A SMALL MODEL Ada Lovelace University of Somewhere\n"
ABSTRACT = (
    "# Abstract\n"
    "We present FooNet, a language model that uses rotary position embedding (RoPE) throughout. "
    "FooNet is instruction tuned on over 60 datasets. Training FooNet takes two stages. Which layers should we adapt?\n"
)
METHOD = (
    "# 3 Method\n"
    "In this section, we describe the method. Table 3 compares the memory of the models. "
    "We then apply the following two training steps. Step 1: Collect demonstrations and train a supervised policy. "
    "Step 2: Train a reward model on comparisons. Accuracy then improves on most tasks.\n"
    "Each layer contains two sub-layers: attention and a feed-forward network. "
    "We insert adapters after each of these sub-layers. The loss falls smoothly\n"
)
PARTS = (FRONT, ABSTRACT, METHOD)


def _chunks() -> list[Chunk]:
    out, start = [], 0
    for ordinal, (text, section) in enumerate(zip(PARTS, ("", "Abstract", "3 Method"), strict=True)):
        out.append(
            Chunk(
                id=f"paper-foonet:{ordinal}",
                doc_id="paper-foonet",
                doc_title="FooNet (Lovelace, 2024)",
                kind=Kind.PAPER,
                section=section,
                text=text,
                start=start,
                end=start + len(text),
                ordinal=ordinal,
                page=ordinal + 1,
            )
        )
        start += len(text)
    return out


@pytest.fixture
def library() -> Library:
    return Library(_chunks())


def _unit(library: Library, starts: str) -> Unit:
    return next(u for u in library.view("paper-foonet").units if u.text.startswith(starts))


def test_acronyms_a_text_defines_and_their_long_forms() -> None:
    found = acronyms(
        "we use rotary position embedding (RoPE), Reinforcement Learning from Human Feedback (RLHF) and "
        "Low-Rank Adaptation (LoRA); GPT-3 (Brown et al., 2020) and a word sense task (WSD) define nothing"
    )
    assert found == {
        "RoPE": "rotary position embedding",
        "RLHF": "Reinforcement Learning from Human Feedback",
        "LoRA": "Low-Rank Adaptation",
    }


def test_an_acronym_and_its_long_form_match_each_other(library: Library) -> None:
    view = library.view("paper-foonet")
    assert "rotary position embedding" in view.spelled_out("What does RoPE do?")
    assert "RoPE" in view.spelled_out("What does rotary position embedding do?")
    assert view.spelled_out("What is a rope?") == "What is a rope?"  # the acronym's own case only


def test_a_question_on_a_paper_is_searched_with_the_acronyms_it_spells_out_but_not_the_papers_name(
    library: Library,
) -> None:
    view = library.view("paper-foonet")
    assert view.abbreviated("How is rotary position embedding applied?") == (
        "How is rotary position embedding applied? RoPE"
    )
    assert view.abbreviated("How is rotary position embedding applied?", names="RoPE (Su et al., 2021)") == (
        "How is rotary position embedding applied?"  # the paper's own name is in every chunk: it tells nothing
    )
    assert view.abbreviated("What does RoPE do?") == "What does RoPE do?"  # long forms only


def test_a_citation_year_or_a_figure_number_is_no_quantity(library: Library) -> None:
    view = library.view("paper-foonet")
    query = paper_sentences.question_for("How many tasks does FooNet solve?", library, ["paper-foonet"])
    cited = "FooNet solves tasks as shown in Figure 4 (Lovelace et al., 2023b)."
    stated = "FooNet solves tasks of twelve kinds across 60 datasets."
    scores = [
        paper_sentences.score(query, view, Unit("sentence", text, 0, len(text), section="3 Method"), {})
        for text in (cited, stated)
    ]
    assert scores[1] is not None and scores[0] is not None and scores[1] - scores[0] >= paper_sentences.QUANTITY_BONUS


def test_front_matter_questions_signposts_and_label_runs_state_nothing(library: Library) -> None:
    statement = paper_sentences.is_statement
    assert not statement(_unit(library, "FOONET"))  # title and authors, before the first heading
    assert not statement(_unit(library, "Which layers should we adapt?"))
    assert not statement(_unit(library, "In this section, we describe"))
    assert not statement(_unit(library, "Table 3 compares"))
    assert not statement(_unit(library, "The loss falls smoothly"))  # no closing punctuation: labels run together
    assert statement(_unit(library, "FooNet is instruction tuned on over 60 datasets."))
    labels = "FLAN 137B GLaM LaMDA-PT GPT-3 175B zero-shot few-shot READING COMP."
    assert not statement(Unit("sentence", labels, 0, len(labels), section="3 Results"))  # a table's header row


def test_a_sentence_comes_with_what_it_leans_on_or_announces(library: Library) -> None:
    view = library.view("paper-foonet")
    leaning = paper_sentences.in_context(view, _unit(library, "We insert adapters"))
    assert [u.text[:20] for u in leaning] == ["Each layer contains ", "We insert adapters a"]
    announcing = paper_sentences.in_context(view, _unit(library, "We then apply the following two training steps."))
    assert [u.text[:7] for u in announcing] == ["We then", "Step 1:", "Step 2:"]
    alone = paper_sentences.in_context(view, _unit(library, "FooNet is instruction tuned"))
    assert [u.text for u in alone] == ["FooNet is instruction tuned on over 60 datasets."]


def test_a_roadmap_sentence_that_opens_on_the_one_before_comes_after_it() -> None:
    text = (
        "# 6.2 Scaling & Efficiency\n"
        "Innovations that make massive models practical. This includes Mixture of Experts and quantization.\n"
        "Quantization lowers precision.\n"
        "These methods cut memory. This roadmap guides you through them.\n"
    )
    chunk = Chunk(
        id="roadmap:0", doc_id="roadmap", doc_title="A roadmap", kind=Kind.ROADMAP, section="6.2 Scaling & Efficiency",
        text=text, start=0, end=len(text), ordinal=0, page=None,
    )  # fmt: skip
    view = Library([chunk]).view("roadmap")

    def context(starts: str) -> list[str]:
        unit = next(u for u in view.units if u.text.startswith(starts))
        return [u.text[:12] for u in paper_sentences.in_context(view, unit)]

    assert context("This includes") == ["Innovations ", "This include"]
    assert context("These methods") == ["These method"]  # the sentence before is on another line
    assert context("This roadmap") == ["This roadmap"]  # names its own subject


def test_a_quantity_question_prefers_the_sentence_that_states_one(library: Library) -> None:
    view = library.view("paper-foonet")
    query = paper_sentences.question_for("How many datasets is FooNet tuned on?", library, ["paper-foonet"])
    with_number = paper_sentences.score(query, view, _unit(library, "FooNet is instruction tuned"), {})
    without = paper_sentences.score(query, view, _unit(library, "We present FooNet"), {})
    assert with_number is not None and without is not None and with_number > without
    assert paper_sentences.score(query, view, _unit(library, "Which layers"), {}) is None


def test_rerank_brings_the_chunk_whose_sentence_answers_first(library: Library) -> None:
    abstract, method = (to_source(c, 0.3) for c in _chunks()[1:])
    question = "What are the two steps, according to the FooNet paper?"
    ranked = paper_sentences.rerank(question, [abstract, method], library, [])
    assert [s.id for s in ranked] == [method.id, abstract.id]
    assert ranked[0].score > ranked[1].score  # the blended score, in the order given


def test_a_paper_answer_opens_with_the_section_that_answers_and_quotes_no_signpost(library: Library) -> None:
    abstract, method = (to_source(c, 0.3) for c in _chunks()[1:])
    question = "What are the two training steps of the FooNet paper?"
    composition = Composer().compose(question, [abstract, method], library)
    headings = [b.title for b in composition.blocks if b.kind == "heading"]
    said = " ".join(s.text for b in composition.blocks for s in b.statements)
    assert len(headings) == 2 and headings[0].endswith("3 Method"), headings  # retrieval ranked the abstract first
    assert "Step 1: Collect demonstrations" in said and "Step 2: Train a reward model" in said
    assert "In this section" not in said and "Which layers" not in said
