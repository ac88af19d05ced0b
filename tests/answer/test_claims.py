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
        ("Deep learning comes in at Month 3, paired with PyTorch", [1], False),
        ("Masked Language Modeling (predicting masked tokens, like in BERT)", [2], True),
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
        ("You can start on LLMs without being comfortable with Python", [3], False, "the other way round"),
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


def test_a_month_holds_what_the_timeline_puts_in_it_also_when_the_question_names_it() -> None:
    checker = ClaimChecker(SOURCES, "when does deep learning with pytorch come in?", NAMES)
    assert checker.check("Deep learning comes in at Month 3 of the timeline, paired with PyTorch", [1])
    verdict = checker.check("Deep learning comes in at Month 2 of the timeline, paired with PyTorch", [1])
    assert not verdict
    assert "'month 2'" in verdict.reason


def test_what_an_item_says_in_brackets_or_after_a_dash_belongs_to_its_own_head() -> None:
    math = source(
        "core", "LLM Roadmap", "Prerequisites > Math",
        "Math you need:\n- Linear Algebra (embeddings, attention)\n- Probability & Statistics\n- Calculus",
    )  # fmt: skip
    checker = ClaimChecker([math], "what math do i need?", NAMES)
    assert checker.check("Linear Algebra (for embeddings and attention)", [1], item=True)
    for swapped in ("Probability & Statistics (embeddings, attention)", "Calculus — embeddings and attention"):
        verdict = checker.check(swapped, [1], item=True)
        assert not verdict
        assert "another item" in verdict.reason or "together" in verdict.reason


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


def test_a_contrast_and_a_position_are_checked_against_what_the_source_asserts() -> None:
    """Negations a fluent model plants (replay_dev2): the source's "in parallel rather than sequentially" asserts
    parallel; "relative" is not "absolute"; "not ... beginner-friendly" is not "perfectly beginner-friendly"; a
    topic third of five is not "the final step"."""
    prose = source(
        "core", "LLM Roadmap", "Transformers",
        "Self-attention lets transformers process sequences in parallel rather than sequentially. RoPE is a "
        "relative positional embedding method. Learning LLMs is not complex, but not exactly beginner-friendly "
        "either.",
    )  # fmt: skip
    module = source(
        "curriculum", "Comprehensive LLM Curriculum", "8. RLHF",
        "8. RLHF:\n1. Human preference data collection\n2. Reward model training\n3. Proximal Policy Optimization "
        "(PPO) for RLHF\n4. Safe exploration & reward hacking\n5. Evaluation of RLHF effectiveness",
    )  # fmt: skip
    checker = ClaimChecker([prose, module], "what is self attention", NAMES)
    kept = [
        ("Transformers process sequences in parallel rather than sequentially", [1]),
        ("RoPE is a relative positional embedding method", [1]),
        ("Learning LLMs is not complex, but it is not exactly beginner-friendly", [1]),
        ("The module ends with the evaluation of RLHF effectiveness", [2]),
        ("RLHF has grown over the last few years, from preference data collection to reward model training", [2]),
    ]
    for claim, cited in kept:
        assert checker.check(claim, cited), (claim, checker.check(claim, cited).reason)
    removed = [
        ("Transformers process sequences one token at a time rather than in parallel", [1]),
        ("Transformers process sequences one step at a time instead of in parallel", [1]),
        ("RoPE is an absolute positional embedding method", [1]),
        ("Learning LLMs is not complex and is perfectly beginner-friendly", [1]),
        ("Proximal Policy Optimization (PPO) for RLHF is the final step of the module", [2]),
    ]
    for claim, cited in removed:
        assert not checker.check(claim, cited), claim


def test_a_double_negation_a_title_and_an_opening_no_are_not_denials() -> None:
    """True sentences the check removed as "the other way round" (replay_dev2)."""
    from roadmap_rag.answer.claim_parts import negated

    assert not negated('It was introduced in "Leave No Context Behind: Efficient Infinite Context Transformers".')
    assert not negated("Don't skip it entirely: traditional NLP helps you appreciate neural approaches.")
    assert negated("No. You aren't sworn by blood to finish a book.")  # the sentence's own negation counts
    assert negated("Neither Python nor math is optional.")  # "neither ... nor" is one negation
    assert negated("You don't need CUDA.")
    assert not negated("It is a pain not only for researchers but also for builders.")
    assert not negated("The module weighs latency against quality.")


def test_a_clause_that_says_no_twice_is_read_piece_by_piece() -> None:
    prose = source(
        "14-day", "14 days", "Tips", "Learning about LLMs is not complex, but not exactly beginner-friendly either."
    )
    checker = ClaimChecker([prose], "is it hard", NAMES)
    assert checker.check("Learning LLMs isn't complex but isn't exactly beginner-friendly either", [1])
    assert not checker.check("Learning LLMs is not complex and is perfectly beginner-friendly", [1])


def test_after_a_comma_b_puts_a_first(checker: ClaimChecker) -> None:
    assert checker.check("After deep learning with PyTorch, you study NLP fundamentals", [1])
    assert not checker.check("After NLP fundamentals, you study deep learning with PyTorch", [1])
    assert checker.check("The guide says that after deep learning with PyTorch you study NLP fundamentals", [1])


def test_a_tool_or_author_the_sources_do_not_name_is_caught_though_its_stem_is_there() -> None:
    setup = source(
        "curriculum", "Comprehensive LLM Curriculum", "Getting Started",
        "3. Setting Up Your Environment\n- Python and deep learning frameworks (PyTorch, TensorFlow)\n- Experiment "
        "tracking (MLflow, Weights & Biases)\n- Chain-of-Thought Prompting (Wei et al., 2022)",
    )  # fmt: skip
    checker = ClaimChecker([setup], "how do i set up", NAMES)
    assert checker.check("Experiment tracking uses MLflow or Weights & Biases, next to TensorFlow", [1])
    assert checker.check("The chain-of-thought paper is by Wei et al., 2022", [1])
    tensorboard = checker.check("Experiment tracking uses MLflow or TensorBoard", [1])
    assert not tensorboard and "TensorBoard" in tensorboard.reason  # "tensor" is TensorFlow's stem, not its name
    assert not checker.check("The chain-of-thought paper is by Kojima et al., 2022", [1])


def test_a_consequence_added_to_a_true_sentence_needs_support_of_its_own(checker: ClaimChecker) -> None:
    assert checker.check("Month 6 covers prompt engineering and RAG, which makes RAG part of the timeline", [1])
    verdict = checker.check(
        "Month 6 covers prompt engineering and RAG, which is why RAG eliminates hallucinations", [1]
    )
    assert not verdict and "eliminates hallucinations" in verdict.reason


def test_a_span_of_time_and_a_whole_are_what_the_source_says(checker: ClaimChecker) -> None:
    assert not checker.check("The whole timeline takes more than three months of part-time study", [1])
    assert checker.check("NLP fundamentals take a month: Month 4", [1])
    story = source(
        "14-day",
        "14 days",
        "Intro",
        "Transformers have largely replaced RNNs; otherwise it would take more than a month.",
    )
    strict = ClaimChecker([story], "are rnns needed", NAMES)
    assert not strict.check("Transformers have completely replaced RNNs", [1])
    assert strict.check("Don't skip RNNs entirely: transformers have largely replaced them", [1])


def test_the_first_part_is_not_the_second() -> None:
    story = source(
        "14-day", "14 days", "Studies",
        "The first part was about the fundamentals.\n\nFor the second part of my studies, I wanted to understand "
        "what hallucination is and why LLMs hallucinate.",
    )  # fmt: skip
    checker = ClaimChecker([story], "what about hallucination", NAMES)
    assert checker.check("Understanding why LLMs hallucinate was the second part of the studies", [1])
    assert not checker.check("Understanding why LLMs hallucinate was the first part of the studies", [1])


def test_a_paraphrased_negation_agrees_with_the_source_that_says_it_another_way() -> None:
    """Issue 28's third pass (replay_dev4): true paraphrases the second pass removed as denials."""
    roberta = source(
        "card-roberta", "RoBERTa (Liu et al., 2019)", "RoBERTa",
        "RoBERTa (Liu et al., 2019). This paper introduced RoBERTa, BERT pre-trained longer on more data without "
        "next-sentence prediction.",
        kind=Kind.PAPER_CARD,
    )  # fmt: skip
    story = source(
        "14-day", "14 days", "Intro",
        "I had a machine learning background; otherwise it would have taken more than a month.\n\n"
        "I didn't use a single resource to learn these subjects. I also read many papers, especially the survey "
        "papers that give you the TL;DR.",
    )  # fmt: skip
    limits = source(
        "complete", "Complete LLM Learning Roadmap", "Capabilities and Limitations",
        "However, they also have important limitations:\n- No true understanding of the world (they model "
        "statistical patterns in text)\n- Knowledge cutoffs",
    )  # fmt: skip
    notes = source(
        "core", "LLM Roadmap", "Final Notes",
        "> You don't need to train trillion-parameter models.\n> **Understanding + adaptation + system design = "
        "real LLM expertise.**",
    )  # fmt: skip
    checker = ClaimChecker([roberta, story, limits, notes], "how do i learn llms", NAMES)
    for claim, cited in [
        ("RoBERTa dropped next-sentence prediction and pre-trained BERT longer on more data", [1]),  # "without"
        ("Without that background it would have taken more than a month", [2]),  # "otherwise ... would"
        ("Where it would otherwise have taken more than a month, the background made it faster", [2]),
        ("The author didn't rely on one resource, though: they also read many papers, such as surveys that give "
         "you the TL;DR", [2]),  # a colon opens a clause of its own; "TL;DR" is no clause break
        ("LLMs have no true understanding of the world, since they model statistical patterns in text", [3]),
        ("You don't need to train trillion-parameter models, because understanding, adaptation and system design "
         "add up to real LLM expertise", [4]),
    ]:  # fmt: skip
        verdict = checker.check(claim, cited)
        assert verdict, (claim, verdict.reason)
    for wrong, cited in [
        ("The author relied on a single resource to learn these subjects", [2]),
        ("LLMs have a true understanding of the world", [3]),
    ]:
        assert not checker.check(wrong, cited), wrong


def test_otherwise_is_a_negation_only_where_it_means_if_not() -> None:
    from roadmap_rag.answer.claim_parts import negated

    assert negated("otherwise it would take more than a month")
    assert negated("it would otherwise have taken more than a month")
    assert not negated("otherwise it just points to Anthropic Research for Claude")
    assert negated("No true understanding of the world")  # a list item's "No", not an answer's opening "No."
    assert not negated("No. Projects matter as much as theory")  # an answer's opening "No." denies nothing in it


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
