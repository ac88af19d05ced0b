"""Follow-ups made standalone: only a real follow-up borrows from the conversation."""

from __future__ import annotations

import pytest

from roadmap_rag.retrieve.followups import is_followup, question_parts, resolve, subject_of
from roadmap_rag.types import Turn

pytestmark = pytest.mark.fast

NAMES = ["complete roadmap", "curriculum", "14-day roadmap", "14-day", "core roadmap", "getting-started guide"]


def _ask(question: str, *earlier: str, section: str = "", roadmap: str = "") -> str:
    turns = [Turn(q, "", section, roadmap) for q in earlier]
    return resolve(question, turns, NAMES).question


def test_a_standalone_question_after_an_off_topic_turn_is_answered_as_asked() -> None:
    assert _ask("what is rlhf?", "how do i set up docker for my experiments") == "what is rlhf?"
    assert (
        _ask("which eval metrics should i know for nlp", "what is lora") == "which eval metrics should i know for nlp"
    )
    assert not resolve("what is RLHF?", [Turn("what is LoRA?", "")], NAMES).followup


def test_he_is_the_author_of_the_roadmap_the_conversation_is_about() -> None:
    """ "what biases did he lern about there" after a question on the 14-day roadmap names a subject of its own,
    and was answered as if asked first (refused); "he" is the roadmap's author."""
    resolved = resolve(
        "what biases did he learn about", [Turn("what does the 14-day roadmap say about hallucination", "")], NAMES
    )
    assert resolved.followup and "the 14-day roadmap" in resolved.question and "biases" in resolved.question


def test_a_question_about_a_subject_in_generic_words_stands_alone() -> None:
    """The learning path's "Ask" on "5. Large Language Models" after a question on LoRA was answered as "... about
    Large Language Models about LoRA?": "large", "language" and "models" name no subject alone."""
    asked = "What does the roadmap say about Large Language Models?"
    assert _ask(asked, "What does the roadmap say about LoRA?") == asked
    assert _ask("what does the curriculum say about evaluation?", "what is lora") == (
        "what does the curriculum say about evaluation?"
    )
    assert _ask("what does the curriculum say about it?", "what is lora") == "what does the curriculum say about lora?"
    assert _ask("tell me more about that", "what is lora") == "tell me more about lora"


def test_a_pointer_borrows_the_previous_subject_not_the_whole_question() -> None:
    standalone = _ask("and which papers should I read about it?", "What is quantization, and why would I use it?")
    assert standalone == "which papers should I read about quantization?"
    assert (
        _ask("why does it happen tho", "what does hallucination mean for llms") == "why does hallucination happen tho"
    )


def test_the_paper_or_the_model_points_back_like_a_pronoun() -> None:
    """ "who wrote the paper and when" after "what is lora" was answered as asked (about no paper at all)."""
    assert _ask("who wrote the paper and when", "what is lora") == "who wrote the lora paper and when"
    assert _ask("how big was the model", "tell me about the gpt3 paper") == "how big was the gpt3 model"
    assert _ask("who wrote the attention paper", "what is lora") == "who wrote the attention paper"  # named


def test_what_about_swaps_the_roadmap_or_the_subject() -> None:
    swapped = _ask("what about the core roadmap?", "what comes after prompt engineering in the curriculum")
    assert swapped == "what comes after prompt engineering in the core roadmap"
    assert _ask("what about qlora?", "what is lora") == "what is qlora"
    asked_of = _ask("what about the curriculum, what does it list?", "what prereqs do i need for llms")
    assert asked_of == "what prereqs do i need for llms in the curriculum?"
    assert _ask("and QLoRA?", "What is LoRA?") == "What is QLoRA?"


def test_and_after_that_continues_from_the_section_the_last_answer_came_from() -> None:
    standalone = _ask(
        "and after that?",
        "what should I study first?",
        section="1. Prerequisites > 1.1 Mathematics",
        roadmap="the complete roadmap",
    )
    assert standalone == "what comes after Mathematics in the complete roadmap?"


def test_a_continuation_keeps_the_roadmap_of_the_conversation() -> None:
    standalone = _ask("and when do i get to rag", "how long does the plan take", roadmap="the getting-started guide")
    assert standalone == "when do i get to rag in the getting-started guide?"


def test_an_it_that_points_at_nothing_is_no_follow_up() -> None:
    assert not is_followup("how long does it take to learn python?", NAMES)
    assert not is_followup("is it worth learning rust for ml?", NAMES)
    assert is_followup("how long does it take?", NAMES)
    assert is_followup("is it hard?", NAMES)


def test_a_chain_of_follow_ups_keeps_its_subject() -> None:
    assert _ask("any papers on it?", "what is RLHF?", "how long does it take?") == "any papers on RLHF?"


def test_the_subject_is_the_run_of_topic_words_without_roadmap_names() -> None:
    assert subject_of("what comes after prompt engineering in the curriculum", NAMES) == "prompt engineering"
    assert subject_of("whats lora tho", NAMES) == "lora"
    assert subject_of("what should I study first?", NAMES) == ""


def test_the_same_things_of_another_kind() -> None:
    """ "and the intermediate ones?" after the beginner projects was answered as "the intermediate beginner in the
    core roadmap?" and got the beginner level again."""
    assert _ask("and the intermediate ones?", "what are the beginner projects in the core roadmap") == (
        "what are the intermediate projects in the core roadmap"
    )
    assert _ask("what about the advanced ones", "what projects are in the getting-started guide") == (
        "what advanced projects are in the getting-started guide"
    )


def test_the_first_one_is_the_first_item_of_the_last_answer() -> None:
    answer = "The complete roadmap — Benchmark Suites:\n- HELM [1]\n- BIG-bench [1]\n- MMLU: 57 subjects [1]\n"
    turns = [Turn("what benchmarks does the complete roadmap list", answer)]
    assert resolve("what does the first one measure", turns, NAMES).question == "what does HELM measure"
    assert resolve("and the last one?", turns, NAMES).question.startswith("MMLU")
    # "the first 2 months" is a span of time, not an item
    assert "HELM" not in resolve("what do i do in the first 2 months", turns, NAMES).question


def test_and_for_y_swaps_the_last_questions_phrase_after_for() -> None:
    """ "and for advanced level?" after "whats the best university course for beginners in the core roadmap" was
    resolved as "whats the best for advanced level ..." (the course lost), and "and for python?" as "for for"."""
    previous = "whats the best university course for beginners in the core roadmap"
    assert _ask("and for advanced level?", previous) == (
        "whats the best university course for advanced level in the core roadmap"
    )
    assert _ask("and for python?", "which book for math") == "which book for python"


def test_the_x_one_is_the_item_of_the_last_answer_that_x_names() -> None:
    """ "what skills does the chatbot one teach" after the intermediate projects was taken for a question of its
    own, and answered with the advanced projects' RAG chatbot."""
    answer = (
        "The core roadmap — Intermediate Projects:\n- LLM Fine-Tuning (LoRA) — Skills: PEFT [1]\n"
        "- Document Q&A System — Skills: Embeddings [1]\n- Chatbot with Memory — Skills: Context Management [1]\n"
    )
    turns = [Turn("what intermediate projects are in the core roadmap", answer)]
    resolved = resolve("what skills does the chatbot one teach", turns, NAMES)
    assert resolved.followup and resolved.question == "what skills does Chatbot with Memory teach"
    # A word no item names, or one that names two, points at nothing.
    assert "Chatbot" not in resolve("is the vision one hard", turns, NAMES).question
    assert resolve("what is the first one", turns, NAMES).question == "what is LLM Fine-Tuning"


def test_the_second_paper_is_the_second_paper_the_last_answer_names() -> None:
    """ "what does the second paper introduce" after a list naming two papers in one item was not resolved, and
    was answered from the 14-day author's words on reading papers."""
    answer = (
        "The complete roadmap — 7.1 Prompt Engineering:\n"
        "- Prompt Design Patterns: Prompt Engineering Guide; Anthropic's Claude Prompt Design Guide [1]\n"
        "- Chain of Thought Prompting: Chain-of-Thought Prompting Paper; Self-Consistency Paper [1]\n"
    )
    turns = [Turn("what papers does the complete roadmap recommend for prompt engineering", answer)]
    assert resolve("what does the second paper introduce", turns, NAMES).question == (
        "what does Self-Consistency Paper introduce"
    )
    assert resolve("who wrote the first paper", turns, NAMES).question == "who wrote Chain-of-Thought Prompting Paper"
    # No video in the answer: nothing to point at.
    assert "Paper" not in resolve("what about the first video", turns, NAMES).question


def test_a_question_that_is_only_what_it_asks_for_is_read_where_the_last_one_was_asked() -> None:
    # ... and of what it was asked about: the guide's web frameworks for deployment, not its LLM frameworks
    assert _ask("which web frameworks?", "what deployment stuff does the getting-started guide cover") == (
        "which web frameworks for deployment in the getting-started guide?"
    )
    assert _ask("which roadmaps mention it", "what is lora") == "which roadmaps mention lora"
    assert _ask("which web frameworks does flask compete with?", "what is lora") == (
        "which web frameworks does flask compete with?"
    )


def test_a_numbered_month_or_module_is_a_subject_and_a_learners_context_is_not() -> None:
    assert subject_of("what should i study in month 1-2 of the getting started plan") == "month 1-2"
    assert _ask("and after that?", "what should i study in month 1-2 of the getting-started guide") == (
        "what comes after month 1-2 in the getting-started guide?"
    )
    asked = "im doing the comprehensive curriculum, whats in the tokenization module"
    assert _ask("what comes right after it", asked) == "what comes right after tokenization in the curriculum?"


def test_the_x_ones_are_every_item_of_the_last_answer_that_x_names() -> None:
    """ "which ones are the extrinsic ones" after the curriculum's evaluation topics named a subject of its own
    ("extrinsic") and was refused: the ones are the last answer's extrinsic metrics."""
    answer = (
        "The curriculum — 9. Evaluation & Benchmarking:\n- Intrinsic metrics: perplexity, cross-entropy [1]\n"
        "- Extrinsic metrics: BLEU, ROUGE, METEOR [1]\n- Benchmarks: GLUE, SuperGLUE, HELM, BigBench [1]\n"
    )
    turns = [Turn("what does the curriculum cover on evaluation", answer)]
    resolved = resolve("which ones are the extrinsic ones", turns, NAMES)
    assert resolved.followup and "Extrinsic metrics" in resolved.question
    # "ones" may name several; "one" names exactly one.
    assert "Intrinsic metrics and Extrinsic metrics" in resolve("what are the metrics ones", turns, NAMES).question
    assert "Intrinsic" not in resolve("what is the metrics one", turns, NAMES).question


def test_is_there_points_at_nothing_and_that_after_it_points_back() -> None:
    """ "is there a paper for that, who wrote it" was answered as asked: "there" was read as its pointer."""
    assert is_followup("is there a paper for that, who wrote it", NAMES)
    assert not is_followup("is there a paper on lora", NAMES)
    assert _ask("is there a paper for that", "what does the 14-day roadmap say about mixture of experts") == (
        "is there a paper for mixture of experts"
    )


def test_it_after_a_question_for_a_paper_is_that_paper() -> None:
    """ "who wrote it and when" after "what paper does the complete roadmap give for rag" was asked of RAG in the
    complete roadmap (which names no authors): "it" is the paper the last question asked for."""
    assert _ask("who wrote it and when", "what paper does the complete roadmap give for rag") == (
        "who wrote the rag paper and when"
    )
    assert _ask("who wrote it", "which book does the core roadmap recommend for mlops") == (
        "who wrote the mlops book in the core roadmap?"
    )
    assert _ask("why does it happen", "what does hallucination mean for llms") == "why does hallucination happen"


def test_the_core_one_is_the_roadmap_whose_name_starts_so() -> None:
    """ "what about the other roadmap, the core one" swapped the word "intermediate" for "the other roadmap"."""
    asked = "whats on the intermediate project list in the getting-started guide"
    assert _ask("what about the other roadmap, the core one", asked) == (
        "whats on the intermediate project list in the core roadmap"
    )
    # Typed loosely, the roadmap by its own name; a word no name starts with names no roadmap.
    assert _ask("what about the 14 day one", "what does the curriculum say about rag") == (
        "what does the 14-day say about rag"
    )
    assert "core" not in _ask("what about the cheap one", asked)


def test_the_subject_keeps_the_word_before_it_that_the_last_answer_names_with_it() -> None:
    """ "which ones should i study" after "what are word embeddings" asked about "embeddings" at large: "word" is
    everyday English and was trimmed, though the answer named "Word Embeddings"."""
    turns = [Turn("what are word embeddings", "The complete roadmap — Word Embeddings:\n- Word2Vec Tutorial [1]\n")]
    assert resolve("which ones should i study", turns, NAMES).question == "which word embeddings should i study"
    # An answer that does not name them together keeps the subject as read.
    turns = [Turn("what are word embeddings", "Embeddings map tokens to vectors [1].")]
    assert resolve("which ones should i study", turns, NAMES).question == "which embeddings should i study"


def test_a_pointer_with_a_word_for_a_part_points_at_the_part() -> None:
    """ "how many months is that bit" after a question on the timeline's last stretch was made "how many months is
    last stretch bit": the pointer stands for the subject, and "bit" is that subject too."""
    assert _ask("how long is that bit", "what is quantization") == "how long is quantization"
    assert _ask("any papers on that part", "what is quantization") == "any papers on quantization"


def test_that_and_a_noun_is_the_last_questions_mention_of_it() -> None:
    """ "best books for that level?" after "what concepts are in the core roadmap's advanced level" was made
    "best books for concepts level": "that level" is the level the last question named."""
    asked = _ask("best books for that level?", "what concepts are in the core roadmap's advanced level")
    assert asked == "best books for advanced level in the core roadmap?"
    assert _ask("any papers on that topic", "what is quantization") == "any papers on quantization"


def test_and_then_asks_what_comes_next() -> None:
    """ "cool, and then?" after "which module is the safety and bias one" was made "about safety and bias?"."""
    assert _ask("cool, and then?", "which module is the safety and bias one") == "what comes after safety and bias?"
    assert _ask("ok then what", "what is month 3 of the getting-started guide").startswith("what comes after")


def test_the_last_step_and_the_middle_one_are_items_of_the_last_answer() -> None:
    turns = [Turn("what are the steps", "Steps:\n- Read [1]\n- Build [1]\n- Ship [1]\n")]
    assert resolve("the last step, whats in that", turns, NAMES).question.startswith("Ship")
    assert resolve("the middle one of those, why", turns, NAMES).question.startswith("Build")


def test_the_x_bit_is_the_item_of_the_last_answer_that_names_x() -> None:
    """ "the compute optimal bit, whats the idea there" after the complete roadmap's scaling laws was answered
    as a question of its own, with the curriculum's compression module."""
    answer = "5.2 Scaling Laws:\n- Parameter Scaling: Scaling Laws for Neural LMs [1]\n- Compute Optimal Training [1]\n"
    turns = [Turn("what does the complete roadmap cover under scaling laws", answer)]
    asked = resolve("the compute optimal bit, whats the idea there", turns, NAMES)
    assert asked.followup and asked.question.startswith("Compute Optimal Training")


def test_the_last_one_of_things_the_last_question_listed_itself() -> None:
    """ "what makes the last one different" after "the curriculum lists word2vec, glove and fasttext for embeddings
    right" was read against the last answer's list ("Transformer Architecture"): the question's own list comes first."""
    asked = "the curriculum lists word2vec, glove and fasttext for embeddings right"
    assert _ask("what makes the last one different", asked) == "what makes fasttext different"


def test_which_of_them_chooses_among_the_last_answers_items() -> None:
    """ "ok which of them involves quantization" after the core roadmap's advanced projects was answered as a
    question of its own, with the complete roadmap's quantization papers."""
    answer = (
        "Advanced Projects:\n- RAG-Based Production Chatbot — Skills: Retrieval, LLM Orchestration [1]\n"
        "- Inference-Optimized LLM Deployment — Skills: Quantization, Serving [1]\n"
    )
    turns = [Turn("what are the advanced projects in the core roadmap", answer)]
    asked = resolve("ok which of them involves quantization", turns, NAMES)
    assert asked.followup and asked.question.startswith("Inference-Optimized LLM Deployment")


def test_the_x_one_named_inside_an_item_is_that_name() -> None:
    """ "and the bloom one? what is it and who built it" after the curriculum's open-source models: BLOOM is named
    inside an item ("Emergent open-source models (LLaMA, BLOOM, Falcon, etc.)"), and the question is about it."""
    answer = (
        "2. Core LLM Architectures:\n- GPT Series (GPT, GPT-2) [1]\n- Emergent open-source models (LLaMA, BLOOM) [1]\n"
    )
    turns = [Turn("which open-source models does the curriculum mention", answer)]
    assert resolve("and the bloom one? what is it", turns, NAMES).question == "and BLOOM? what is it"
    # "the llama one" of a longer item that names it among other things ("Fine-tune a LLaMA or Mistral model ..."):
    # LLaMA, not the whole project; an item the word opens is the item ("the chatbot one": "Chatbot with Memory")
    projects = (
        "Advanced:\n- Fine-tune a LLaMA or Mistral model for domain-specific Q&A [1]\n- Chatbot with Memory [1]\n"
    )
    turns = [Turn("which models does the getting started guide suggest fine-tuning", projects)]
    asked = resolve("the llama one, what sizes did the original come in", turns, NAMES).question
    assert asked == "LLaMA, what sizes did the original come in"
    assert resolve("the chatbot one, how hard is it", turns, NAMES).question.startswith("Chatbot with Memory")


def test_it_doing_what_a_document_does_is_the_roadmap_and_a_paper_asked_for_is_it_later() -> None:
    """ "im a student doing the complete roadmap", "it lists a paper for parameter scaling right", "whos the first
    author and when did it come out": "it lists" is the roadmap, and the last "it" the paper asked about (it had
    been "student doing", and the answer a refusal)."""
    turns = [Turn("im a student doing the complete roadmap", "")]
    second = "it lists a paper for parameter scaling right"
    assert resolve(second, turns, NAMES).question == "the complete roadmap lists a paper for parameter scaling right"
    turns.append(Turn(second, ""))
    last = resolve("whos the first author and when did it come out", turns, NAMES).question
    assert last == "whos the first author and when did the parameter scaling paper come out"


def test_a_question_that_asks_two_things_is_two_questions_each_standing_alone() -> None:
    """ "total noob, whats prompt engineering and where do i learn it" was answered with the curriculum's prompt
    list and the guide's timeline: neither says what prompt engineering is, nor where to learn it."""
    assert question_parts("whats prompt engineering and where do i learn it") == [
        "whats prompt engineering",
        "where do i learn prompt engineering",
    ]
    assert question_parts("whats rope and which model uses it? explain simple pls") == [
        "whats rope",
        "which model uses rope? explain simple pls",
    ]
    assert question_parts("is deepseek open source? which roadmap teaches it")[1] == "which roadmap teaches deepseek"
    for one in (
        "what is the difference between lora and qlora",  # "and" joins two things, not two asks
        "should i learn pytorch or tensorflow, which one first",
        "align and clip both match pictures with text right? whats the actual diference",  # about the first
        "python + math first or deep learning? and how long for that first part",
        "people at work keep saying agents. what are they and where do i read up on them",  # "they": no one thing
        "what is it and why",  # no subject to stand alone
        # "it" is the entry the first ask picks out, not a subject it names
        "which entry in the core roadmap's techniques table is marked beginner, and whats the video for it",
    ):
        assert question_parts(one) == [one]
