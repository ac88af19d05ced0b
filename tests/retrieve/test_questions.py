"""Reading a question: its shape, its stems and its topic."""

from __future__ import annotations

import pytest

from roadmap_rag.retrieve.library import Library
from roadmap_rag.retrieve.questions import (
    GENERIC_STEMS,
    Query,
    asks_where_to_start,
    everyday_spelling,
    question_shape,
    respelt,
    search_text,
    split_ask,
    stem,
    terms,
    topic_support,
    turn_of,
    what_is_asked,
)
from roadmap_rag.types import Source

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)


@pytest.mark.parametrize(
    ("question", "shape"),
    [
        ("Which papers does the complete roadmap recommend for quantization?", "paper"),
        ("What does the roadmap say about LoRA?", "about"),
        ("What should I study before transformers?", "path"),
        ("When should I learn prompt engineering and RAG in the suggested timeline?", "path"),
        ("Which roadmaps recommend The Illustrated Transformer?", "compare"),
        ("Which benchmark suites does the complete roadmap point to?", "list"),
        ("What is exposure bias?", "fact"),
        ("whats the order? math first and then what", "path"),
        ("what should i learn first, math or python?", "path"),
        # "first" before a noun is an adjective: it asks for the first projects, not for an order
        ("beginner here, what are easy first projects in the core roadmap", "fact"),
    ],
)
def test_question_shapes(question: str, shape: str) -> None:
    assert question_shape(question) == shape


def test_light_stems_meet() -> None:
    assert stem("studied") == stem("studies") == stem("study")
    assert stem("locally") == stem("local") and stem("transforming") == stem("transformers")
    assert stem("stopping") == stem("stop") and stem("embedded") == stem("embedding")
    assert stem("filling") == stem("fill") and stem("adding") == stem("add")  # a doubled l or a short word stays


def test_topic_support_ignores_generic_and_corpus_words() -> None:
    source = Source(id="s", doc_id="d", title="T", section="8. RLHF", text="Reward model training", score=1.0)
    assert topic_support("What does the module cover about RLHF?", [source]) == 1.0
    assert topic_support("How should I train for my first marathon?", [source]) <= 0.5


def test_an_everyday_word_weighs_less_than_a_term_of_art_in_what_a_question_is_about() -> None:
    """ "are rnns still worth learning or are they dead" is about RNNs (it was refused: 1 of 4 topic words)."""
    source = Source(id="s", doc_id="d", title="T", section="2. Deep learning", text="CNNs and RNNs", score=1.0)
    assert topic_support("are rnns still worth learning or are they dead", [source]) > 0.5
    assert topic_support("is a marathon still worth running or is it dead", [source]) == 0.0


def test_a_misspelt_everyday_word_weighs_as_the_word_it_stands_for() -> None:
    """ "what biases did the 14-day roadmap lern about" was refused: "lern" counted as a term of art the sources
    lack. A name the sources use is never read as a typo ("lora" is not "lord")."""
    assert everyday_spelling("lern") == "learn" and everyday_spelling("actualy") == "actually"
    assert everyday_spelling("qlora") == everyday_spelling("mamba") == ""
    assert everyday_spelling("faiss") == ""  # not "fails": a name is not a word with one letter changed
    source = Source(
        id="s", doc_id="d", title="T", section="Hallucination", text="exposure bias, positional bias", score=1.0
    )
    typed = topic_support("what biases did he lern about", [source])
    assert typed == topic_support("what biases did he learn about", [source]) > 0.2
    lora = Source(id="s", doc_id="d", title="T", section="Fine-tuning", text="LoRA adapters", score=1.0)
    assert topic_support("what is lora", [lora]) == 1.0


def test_a_learner_saying_who_they_are_is_not_part_of_what_they_ask() -> None:
    """ "beginner: what python libs should i know" was answered with the core roadmap's prerequisites (every
    beginner question was): "beginner" and "new" drew the beginner sections, whatever was asked after them."""
    assert what_is_asked("im new to ml, where do i even start with llms??") == "where do i even start with llms??"
    assert what_is_asked("im a noob do i need to know cnns before llms") == "do i need to know cnns before llms"
    assert what_is_asked("beginner: what python libs should i know") == "what python libs should i know"
    assert what_is_asked("I am learning LLMs, what is LoRA?") == "what is LoRA?"
    # "total beginner here, what even is an llm" was searched with "beginner here" and found nothing to say
    assert what_is_asked("total beginner here, what even is an llm") == "what even is an llm"
    assert what_is_asked("new to this, what even is an llm in simple words") == "what even is an llm in simple words"
    assert what_is_asked("new models like gpt-4o, what are they") == "new models like gpt-4o, what are they"
    # "beginner but i want to get into fine tuning, any project ideas for it" drew the beginner projects
    assert what_is_asked("beginner but i want to get into fine tuning, any project ideas") == (
        "i want to get into fine tuning, any project ideas"
    )
    assert what_is_asked("just getting into ai, does any roadmap cover ethics") == "does any roadmap cover ethics"
    for asked in ("what should a beginner study first", "is rlhf for beginners", "beginner projects?", "im new"):
        assert what_is_asked(asked) == asked  # the learner is what is asked about, or nothing else is asked


def test_sentences_a_learner_tells_before_the_sentence_that_asks_are_apart_from_it() -> None:
    """ "java backend dev, 10 yrs, skimming the complete roadmap. which secton sits right before the prompt
    engineering one" read "java", "backend", "yrs" and "skimming" as its topic (and flagged "skimming" as missing
    from the sources): the question is the sentence that asks."""
    told, ask = split_ask("retired and doing this for fun. in the complete roadmap does nlp come before ml")
    assert (told, ask) == ("retired and doing this for fun.", "in the complete roadmap does nlp come before ml")
    assert split_ask("know java, zero ml! where do i learn pytorch?")[1] == "where do i learn pytorch?"
    assert split_ask("know java. where do i learn pytorch and when do i pick it up")[0] == "know java."
    for whole in (
        "whats rope and which model uses it? explain simple pls",  # it asks in its first sentence
        "albert is a lighter bert. how did they make it smaller",  # it asks about what it told
        "what is lora",
        "i finished the curriculum. thanks",  # nothing asks after what it tells
    ):
        assert split_ask(whole) == ("", whole)


def test_a_learner_who_says_what_they_have_done_and_asks_what_is_next_asks_what_comes_after_it() -> None:
    """ "done with the applications part of the complete roadmap, whats next" was answered with the applications
    section itself: "next" came after its topic, so no turn to what follows was read."""
    assert what_is_asked("done with the applications part of the complete roadmap, whats next") == (
        "what comes after the applications part of the complete roadmap"
    )
    assert what_is_asked("after i finish the curriculum what next") == "what comes after the curriculum"
    assert what_is_asked("finished observability and mlops in the curriculum, which module do i hit next") == (
        "what comes after observability and mlops in the curriculum"
    )
    assert what_is_asked("finished the complete roadmap. now what?") == "what comes after the complete roadmap"
    assert what_is_asked("ok i get transformers now. whats next in the big roadmap") == (
        "what comes after transformers in the big roadmap"
    )
    assert what_is_asked("i finished the prerequisites, what should i learn next?") == (
        "what comes after the prerequisites"
    )
    assert what_is_asked("i know python and math, where do i go from here") == "what comes after python and math"
    # Other words for finishing and for asking where to go: "went through", "wrapped up", "where to next"
    assert what_is_asked("i went through the transformers part of the complete roadmap, where to next") == (
        "what comes after the transformers part of the complete roadmap"
    )
    assert what_is_asked("wrapped up the rlhf module, where now?") == "what comes after the rlhf module"
    for asked in ("what is next after transformers", "i get what lora is, but how does qlora differ"):
        assert what_is_asked(asked) == asked


def test_the_first_turn_of_a_question_is_its_direction() -> None:
    """ "what comes after the prerequisites" was read as asking what comes before: "prerequisites" turns too."""
    assert turn_of("what comes after the prerequisites in the complete roadmap") == "after"
    assert question_shape("what comes after the prerequisites in the complete roadmap") == "path"
    assert turn_of("what are the prerequisites for the curriculum") == "before"
    assert turn_of("what should i learn first, math or python?") == "before"
    assert turn_of("what are easy first projects") == ""


def test_where_to_start_with_no_topic_of_its_own_asks_where_the_roadmaps_begin() -> None:
    for asked in ("where do i even start with llms??", "how do i get started", "what should i learn first?"):
        assert asks_where_to_start(asked) and question_shape(asked) == "path", asked
    for asked in ("where do i start with transformers", "is it hard to start", "what should i learn first, math?"):
        assert not asks_where_to_start(asked), asked


def test_a_hyphenated_word_and_the_same_word_joined_meet_and_comparison_words_are_no_topic() -> None:
    """ "explain pretraining vs finetuning" read "finetuning" as a word the roadmaps never use ("Fine-tuning" was
    "fine-t"), and "vs" as a topic: the curriculum's pretraining module answered, not "Pretraining vs. Fine-tuning".
    "explain self attention" never met the roadmaps' "self-attention" either."""
    assert terms("Fine-tuning") == ["finetu", "fine", "tun"]  # joined, then its parts: "fine tuning" meets it too
    for typed in ("finetuning", "fine tuning"):
        assert set(terms(typed)) < set(terms("Fine-tuning"))
    assert set(terms("self attention")) < set(terms("Self-attention"))
    assert terms("GPT-4 in month 1-2") == ["gpt-4", "month", "1-2"]  # a digit keeps the hyphen: a name, a range
    assert terms("pretraining vs finetuning") == terms("the difference between pretraining versus finetuning")[1:]
    assert stem("difference") in GENERIC_STEMS  # what kind of answer is wanted, not what it is about


def test_retrieval_searches_for_the_subject_not_the_instruction() -> None:
    """ "explain self attention pls" drew the curriculum's "Interpretability & Explainability" module first."""
    assert search_text("explain self attention pls") == "self attention"
    assert search_text("can you explain rope like im 5 pls") == "rope"
    assert search_text("tell me about the gpt3 paper") == "the gpt3 paper"
    for asked in ("what is explainability", "how do i explain my model predictions", "explain"):
        assert search_text(asked) == asked  # the word is the subject, or nothing else is asked


def test_a_clipped_word_meets_its_whole_form_in_the_corpus(library: Library) -> None:
    """ "what math do i need before starting llms" placed "math" nowhere: the roadmaps' headings say
    "Mathematics", and "math" and "mathematics" share no stem. A word the corpus writes whole in only one way
    counts as that word; one it could clip several ways ("stats": statistics, StatQuest, state-of-the-art) does not."""
    math = Query.of("what math do i need before starting llms", library)
    assert math.covers_topic("1.1 Mathematics & Statistics") == 1.0
    assert math.score("Mathematics: Linear Algebra") > math.score("Programming: Python")
    assert Query.of("which stats should i know", library).covers_topic("Probability & Statistics") == 0.0


def test_a_misspelt_everyday_word_is_read_as_the_word_it_stands_for(library: Library) -> None:
    """ "the projcts module": "projcts" is no word of the corpus, and read as typed it named nothing the sources
    hold; a name or term of art the corpus uses stays as typed ("LoRA", "QLoRA")."""
    vocabulary = library.vocabulary(terms).keys()
    assert respelt("what comes before the projcts module", vocabulary) == "what comes before the projects module"
    assert respelt("is QLoRA like LoRA", vocabulary) == "is QLoRA like LoRA"
    assert set(terms("projects")) <= Query.of("what do i cover just before the projcts module", library).topic


def test_who_the_learner_is_is_no_place_in_a_path() -> None:
    """ "what are some easy projects to start with as a beginer" was answered with where the roadmaps begin:
    "start with as a beginner" read as a turn to the beginner level."""
    assert question_shape("what are some easy projects to start with as a beginer") != "path"
    assert question_shape("what should i start with, transformers or rnns") == "path"
