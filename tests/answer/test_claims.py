"""The claim check on a model's sentences: each kind of error it must catch, each kind of true sentence it must
keep, and the reason it gives. Small sources written like the roadmaps (lists, timelines, tables, prose)."""

from __future__ import annotations

import pytest

from roadmap_rag.answer.citations import StreamCheck, check, complete_prefix
from roadmap_rag.answer.claim_parts import is_caveat
from roadmap_rag.answer.claims import ClaimChecker
from roadmap_rag.types import Kind, Source


def source(doc_id: str, title: str, section: str, text: str, kind: Kind = Kind.ROADMAP) -> Source:
    return Source(
        id=f"{doc_id}:{section}", doc_id=doc_id, title=title, section=section, text=text, score=1.0, kind=kind
    )


TIMELINE = source(
    "getting-started",
    "Getting Started with LLMs",
    "Suggested Timeline",
    "Suggested Timeline (part-time learner)\n- Month 1–2: Python + ML math + ML basics\n- Month 3: Deep learning + "
    "PyTorch\n- Month 4: NLP fundamentals\n- Month 5: Transformers and LLM architectures\n"
    "- Month 6: Prompt engineering + RAG",
)
OBJECTIVES = source(
    "complete",
    "Complete LLM Learning Roadmap",
    "4. Transformers Architecture > 4.2 Pre-training Objectives",
    "4.2 Pre-training Objectives\nThese include masked language modeling (predicting masked tokens like in BERT), "
    "autoregressive modeling (predicting the next token like in GPT).\n- Masked Language Modeling\n"
    "- Resource: BERT Paper\n- Autoregressive Modeling\n- Resource: GPT Papers",
)
PYTHON = source(
    "core",
    "LLM Roadmap",
    "Prerequisites",
    "All of the materials I used so far are free, you don't need to pay anything.\n\n"
    "Before starting LLMs, you should be comfortable with:\n- Python\n- PyTorch basics\n- CUDA basics (optional but "
    "useful)",
)
SOURCES = [TIMELINE, OBJECTIVES, PYTHON]
NAMES = {"getting-started guide": "getting-started", "complete roadmap": "complete", "core roadmap": "core"}


@pytest.fixture
def checker() -> ClaimChecker:
    return ClaimChecker(SOURCES, "how should I plan my first months?", NAMES)


@pytest.mark.parametrize(
    ("claim", "cited", "item"),
    [
        ("Month 6 covers prompt engineering and RAG", [1], False),  # a paraphrase
        ("Month 1–2: Python + ML math + ML basics", [1], True),  # the source's own words
        ("The Getting Started guide plans deep learning with PyTorch for month 3", [1], False),  # named rightly
        ("The timeline is for a part-time learner", [1], False),
        ("The complete roadmap lists the BERT Paper as the resource for Masked Language Modeling", [2], True),
        ("Masked language modeling predicts masked tokens, as BERT does", [2], False),
        ("CUDA basics are optional but useful", [3], False),
        ("Deep learning with PyTorch comes before NLP fundamentals", [1], False),
        ("All the materials are free", [3], False),
        ("It lists three prerequisites", [3], False),  # a count of the source's list
        ("Yes.", [3], False),
    ],
)
def test_true_sentences_are_kept(checker: ClaimChecker, claim: str, cited: list[int], item: bool) -> None:
    assert checker.check(claim, cited, item=item), checker.check(claim, cited, item=item).reason


@pytest.mark.parametrize(
    ("claim", "cited", "item", "why"),
    [
        ("Month 5: Prompt engineering + RAG", [1], True, "'5'"),  # a number in another item's clause
        ("RAG comes in Month 4", [1], False, "'4'"),
        ("The timeline is for a full-time learner", [1], False, "'full-time' where source [1] says 'part-time'"),
        ("The Complete roadmap plans NLP fundamentals for month 4", [1], False, "names the complete roadmap"),
        ("The BERT Paper is the resource for Autoregressive Modeling", [2], True, "no one passage"),
        ("NLP fundamentals come before deep learning with PyTorch", [1], False, "opposite order"),
        ("CUDA basics are required", [3], False, "'required' where source [3] says 'optional'"),
        ("You need to pay for the materials, they are paid", [3], False, "'paid'"),
        ("You don't need PyTorch basics", [3], False, "the other way round"),
        ("Month 6 covers LangChain agents", [1], False, "'LangChain' is not in source [1]"),  # an invented tool
        ("Month 6 takes twelve weeks", [1], False, "'12' is not in source [1]"),  # a number in words
        ("Month 6 covers prompt engineering and RAG", [9], False, "cites no source it was given"),
    ],
)
def test_errors_are_removed_with_their_reason(
    checker: ClaimChecker, claim: str, cited: list[int], item: bool, why: str
) -> None:
    verdict = checker.check(claim, cited, item=item)
    assert not verdict
    assert why in verdict.reason


def test_a_title_with_a_negating_word_denies_nothing() -> None:
    """The Infini-attention card's title ("Leave No Context Behind: ...") was removed from answers as a denial;
    a denial beside a title still is one."""
    card = source(
        "card-infini-attention",
        "Infini-attention (Munkhdalai et al., 2024)",
        "Leave No Context Behind",
        "# Leave No Context Behind: Efficient Infinite Context Transformers with Infini-attention\n"
        "Infini-attention (Munkhdalai et al., 2024). This paper introduced Infini-attention, a compressive memory.",
        kind=Kind.PAPER_CARD,
    )
    checker = ClaimChecker([card], "what is a context window?", {})
    title = (
        "Leave No Context Behind: Efficient Infinite Context Transformers with Infini-attention "
        "(Munkhdalai et al., 2024)"
    )
    assert checker.check(title, [1], item=True), checker.check(title, [1], item=True).reason
    assert not checker.check("The Infini-attention paper introduced no compressive memory", [1])
    quoted = 'It was introduced in the paper "Leave No Context Behind: Efficient Infinite Context Transformers".'
    assert checker.check(quoted, [1]), checker.check(quoted, [1]).reason  # a quoted title, after a word not capital


def test_an_answers_no_and_not_only_deny_nothing_of_the_clause() -> None:
    """A model answers "should I finish every paper?" with "No. The author says ..., you aren't sworn by blood to
    finish it": the opening "No." answered the learner, and the check read it as denying the source's "when you
    pick up a book ..." (replay dev sets: 3 true statements removed); "not only for researchers but also for ..."
    asserts both. A denial the source does not make is still removed."""
    tips = source(
        "14-day", "LLM Fundamentals in 14 Days", "Some Bonus Tips",
        "When you pick up a book, YouTube video, or paper to study any of these materials, you aren't sworn by blood "
        "to finish it. Hallucination is a big pain in the head for both researchers and those who build "
        "applications with LLM.",
    )  # fmt: skip
    checker = ClaimChecker([tips])
    answer = "No. When you pick up a book, YouTube video or paper, you aren't sworn by blood to finish it."
    assert checker.check(answer, [1]), checker.check(answer, [1]).reason
    both = "Hallucination is a big pain not only for researchers but also for those who build applications with LLM."
    assert checker.check(both, [1]), checker.check(both, [1]).reason
    assert not checker.check("Hallucination is no pain for those who build applications with LLM.", [1])


def test_a_caveat_is_ours_unless_a_source_holds_what_it_says_is_missing(checker: ClaimChecker) -> None:
    assert is_caveat("The sources don't say how many hours a week this takes.")
    assert is_caveat("The timeline doesn't break Month 4 down into weeks.")
    assert not is_caveat("Month 4 covers NLP fundamentals.")
    assert checker.caveat_holds("The sources don't say how many hours a week this takes.")
    assert not checker.caveat_holds("The sources don't mention PyTorch basics.")


def test_a_model_answer_keeps_its_caveat_and_list_and_loses_its_uncited_invention() -> None:
    answer = (
        "According to the Getting Started guide, the timeline is for a part-time learner [1]. "
        "The sources don't say how many hours a week it takes.\n"
        "Its first months are:\n"
        "- Month 1–2: Python + ML math + ML basics [1]\n"
        "- Month 3: Deep learning + PyTorch [1]\n"
        "- vLLM\n"
    )
    checked = check(answer, SOURCES, "how should I plan my first months?", names=NAMES)
    assert [b.kind for b in checked.blocks] == ["paragraph", "note", "list"]
    assert checked.blocks[1].title == "The sources don't say how many hours a week it takes."
    assert checked.blocks[2].lead and checked.blocks[2].lead.text == "Its first months are:"
    assert [s.text for s in checked.blocks[2].statements] == [
        "Month 1–2: Python + ML math + ML basics",
        "Month 3: Deep learning + PyTorch",
    ]
    assert [(r.text, r.reason) for r in checked.removed] == [
        ("vLLM", "no source supports it (it cites no source it was given)")
    ]


def test_a_statement_is_moved_only_to_a_source_that_holds_it() -> None:
    """A mis-numbered citation moves to the source that holds the sentence; a sentence its source does not support
    is removed, not moved to another source on a few shared words; an uncited one gets the source that supports it."""
    answer = "Month 3: Deep learning + PyTorch [2]. RAG comes in Month 4 [2]. Month 6 is prompt engineering with RAG."
    checked = check(answer, SOURCES, names=NAMES)
    kept = [s for b in checked.blocks for s in b.statements]
    assert [(s.text, s.citations) for s in kept] == [
        ("Month 3: Deep learning + PyTorch.", (1,)),
        ("Month 6 is prompt engineering with RAG.", (1,)),
    ]
    assert [r.text for r in checked.removed] == ["RAG comes in Month 4."]


def test_streaming_shows_only_checked_statements_and_only_ever_adds_text() -> None:
    answer = (
        "Month 3 is deep learning with PyTorch [1]. Month 5 is prompt engineering [1]. Month 4 is NLP fundamentals [1]."
        "\nThe guide lists:\n- Month 6: Prompt engineering + RAG [1]\n- Month 9: agents [1]\n"
    )
    streaming = StreamCheck(SOURCES, "", NAMES)
    shown = ""
    for word in answer.split(" "):
        new = streaming.feed(word + " ")
        assert "Month 5" not in new and "Month 9" not in new
        shown += new
    checked, rest = streaming.finish()
    shown += rest
    assert shown == checked.text
    assert "Month 4 is NLP fundamentals [1]." in shown and "- Month 6: Prompt engineering + RAG [1]" in shown


def test_complete_prefix_waits_for_the_end_of_a_statement() -> None:
    assert complete_prefix("First sentence [1]. Second sen") == "First sentence [1]."
    assert complete_prefix("A lead:\n- item one [1]\n- item tw") == "A lead:\n- item one [1]"
    assert complete_prefix("A sentence [1].\nA lead:\n- item o") == "A sentence [1]."  # the lead waits for its list
    assert complete_prefix("**Complete roadmap") == ""


def test_a_sections_own_name_in_a_sentence_is_no_sign_of_a_swap() -> None:
    module = source(
        "curriculum", "Comprehensive LLM Learning Roadmap", "10. Model Compression & Optimization",
        "10. Model Compression & Optimization:\n1. Quantization (8-bit, 4-bit, mixed precision)\n2. Knowledge "
        "distillation & student-teacher training\n3. Pruning (structured/unstructured)\n4. Compilation "
        "frameworks (ONNX, TorchScript, TVM)\n5. Latency vs. quality trade-offs",
    )  # fmt: skip
    checker = ClaimChecker([module], "how do i make a model faster", NAMES)
    claim = (
        "Module 10 (Model Compression & Optimization) covers compilation frameworks such as ONNX, TorchScript and TVM"
    )
    assert checker.check(claim, [1]), checker.check(claim, [1]).reason
    assert not checker.check("Module 10 covers knowledge distillation frameworks such as ONNX and TVM", [1])


NLP_STEP = source(
    "getting-started",
    "Getting Started with LLMs",
    "3. Dive into Natural Language Processing (NLP)",
    "3. Dive into Natural Language Processing (NLP)\n\nNLP knowledge bridges the gap between generic deep learning "
    "and LLM applications:\n\nText Preprocessing\nTokenization, stemming, lemmatization, stopword removal.\n\n"
    "Core NLP Tasks\nSentiment analysis, named entity recognition (NER), text classification.\n",
)


def test_a_plain_text_subsection_is_read_with_its_heading_not_as_an_item_beside_it() -> None:
    """In a plain-text roadmap a heading line sits over its sentence ("Text Preprocessing" over "Tokenization,
    stemming, ..."). The check read the two as sibling items, so "Text Preprocessing: Tokenization, ..." was
    removed as a swap; the heading over another subsection's sentence still is one."""
    checker = ClaimChecker([NLP_STEP])
    assert checker.check("Text Preprocessing: Tokenization, stemming, lemmatization, stopword removal.", [1], item=True)
    swapped = checker.check("Core NLP Tasks: Tokenization, stemming, lemmatization, stopword removal.", [1], item=True)
    assert not swapped and "another item" in swapped.reason


TABLE_ROWS = source(
    "core", "Large Language Models (LLM) Roadmap", "Advanced Level > Core Concepts",
    "| 1 | [Designing Machine Learning Systems – Chip Huyen](https://example.org/dmls) | [Full Stack Deep Learning]"
    "(https://example.org/fsdl) | Advanced |\n| 2 | [Generative AI with LLMs](https://example.org/genai) | "
    "[Hugging Face Advanced](https://example.org/hf) | Advanced |",
)  # fmt: skip
TABLE_HEADER = source(
    "core", "Large Language Models (LLM) Roadmap", "Advanced Level > Core Concepts",
    "### Core Concepts\n- RLHF\n\n| S.No | Best Book | Best YouTube Playlist | Level |\n|----|----|----|----|",
)  # fmt: skip


def test_a_table_record_reads_its_labels_from_the_header_it_cites() -> None:
    """ "best books for the core roadmap's advanced level": the composer quotes each record with the labels of
    its table's header ("Best Book: Designing Machine Learning Systems – Chip Huyen; ..."), citing the chunk of
    its rows and the chunk of its header. The check looked for "Best Book" beside the row and removed both
    records as said "of another item"; a label no cited header holds still is one."""
    checker = ClaimChecker([TABLE_ROWS, TABLE_HEADER])
    row = (
        "Best Book: Designing Machine Learning Systems – Chip Huyen; Best YouTube Playlist: Full Stack Deep Learning; "
        "Level: Advanced"
    )
    assert checker.check(row, [1, 2], item=True), checker.check(row, [1, 2], item=True).reason
    wrong = "Best Course: Designing Machine Learning Systems – Chip Huyen; Full Stack Deep Learning; Advanced"
    assert not checker.check(wrong, [1, 2], item=True)
