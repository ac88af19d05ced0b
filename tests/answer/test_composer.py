"""The grounded composer on the shipped corpus: answers shaped like the question, every claim cited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from roadmap_rag import Assistant
from roadmap_rag.answer.citations import Checked, verify
from roadmap_rag.answer.compose import Composer
from roadmap_rag.retrieve.library import Library, to_source


def items(answer) -> list[str]:
    return [s.text for b in answer.blocks if b.kind == "list" for s in b.statements]


def test_an_intro_comes_with_its_whole_list(assistant: Assistant) -> None:
    answer = assistant.ask("What can LLMs do according to the complete roadmap?")
    lists = [b for b in answer.blocks if b.kind == "list"]
    assert lists and lists[0].lead and lists[0].lead.text.endswith("capabilities including:")
    assert len(lists[0].statements) == 7 and "Writing and debugging code" in items(answer)


def test_what_the_roadmaps_say_about_a_topic_is_per_roadmap_with_the_paper(assistant: Assistant) -> None:
    answer = assistant.ask("What does the roadmap say about LoRA?")
    headings = [b.title for b in answer.blocks if b.kind == "heading"]
    for name in ("The complete roadmap", "The curriculum", "The core roadmap", "Papers"):
        assert any(h.startswith(name) for h in headings), headings
    assert "https://arxiv.org/abs/2106.09685" in answer.text
    assert answer.unsupported == [] and all(s.citations for b in answer.blocks for s in b.statements)


def test_learning_path_questions_follow_the_roadmaps_order(assistant: Assistant) -> None:
    before = assistant.ask("What should I study before transformers?")
    assert "Month 3: Deep learning + PyTorch" in items(before)
    month = assistant.ask("What should I study in month 3 of the getting-started plan?")
    assert items(month) == ["Month 3: Deep learning + PyTorch"]
    after = assistant.ask("What does the curriculum cover right after tokenization and preprocessing?")
    assert items(after)[0].startswith("4. Pretraining LLMs: Text corpus collection & cleaning")


def test_what_comes_after_a_topic_gives_the_next_section_and_the_roadmaps_own_path(assistant: Assistant) -> None:
    """ "what should i learn after nlp in the getting started guide" gave Months 5-6 of the guide's timeline
    only (the timeline's "Month 4: NLP fundamentals" placed the topic): the guide's next section, "4. Understand
    LLMs and Their Ecosystem" with its topics, was left out. Both places answer; neither is chosen over the other."""
    after = assistant.ask("what should i learn after nlp in the getting started guide")
    listed = items(after)
    assert listed[0].startswith("4. Understand LLMs and Their Ecosystem: Pretraining vs. Fine-tuning"), listed
    assert "Month 5: Transformers and LLM architectures" in listed
    following = assistant.ask("what comes after transformers in the complete roadmap")
    # the next part by its numbered subsections, not by the first few items of its first one
    assert items(following)[0].startswith("5. Large Language Models: 5.1 Key LLM Models & History; 5.2 Scaling")
    assert "Dive into Large Language Models core concepts" in items(following)
    assert after.unsupported == following.unsupported == []


def test_after_the_prerequisites_comes_what_follows_them_not_the_prerequisites(assistant: Assistant) -> None:
    """ "i finished the prerequisites in the complete roadmap, what next" was answered with the prerequisites."""
    for asked in (
        "what comes after the prerequisites in the complete roadmap",
        "i finished the prerequisites in the complete roadmap, what next",
    ):
        listed = items(assistant.ask(asked))
        assert listed[0].startswith("2. Machine Learning Fundamentals"), listed
        assert "Move to Machine Learning Fundamentals and Natural Language Processing" in listed
        assert not any(item.startswith("Linear Algebra") for item in listed)


def test_a_story_that_announces_its_steps_is_read_in_order(assistant: Assistant) -> None:
    """ "what order did the 14 day guy study things in" drew the bonus tips: the 14-day roadmap announces "three
    steps" and walks through them in prose, with no list or heading to read an order from."""
    answer = assistant.ask("in what order did the 14 day guy study things")
    listed = items(answer)
    assert len(listed) == 3, listed
    assert listed[0].startswith("This would conclude the fundamentals of language models")
    # The author's story is no answer ("For the second part of my studies, I wanted to ..."): a step is quoted by
    # what it says was studied.
    assert listed[1].startswith("I learned about positional bias")
    assert "become mainstream" in listed[2]
    assert "three steps" in answer.text and answer.unsupported == []
    # The same steps are the roadmap's parts when it is asked about as a whole, its name typed loosely or not.
    for asked in ("give me an overview of the 14-day roadmap", "tell me about the 14 day llm roadmap"):
        assert items(assistant.ask(asked)) == listed, asked


def test_a_roadmaps_name_typed_with_a_space_is_its_name_not_the_topic(assistant: Assistant) -> None:
    """ "should i follow the 14 day roadmap exactly": "14" and "day" were read as its topic, so the author's advice
    not to follow it ("pick the good parts") never counted as being about it."""
    answer = assistant.ask("should i follow the 14 day roadmap exactly")
    assert "pick the good parts" in answer.text and answer.unsupported == []


def test_where_to_start_is_where_each_roadmap_begins(assistant: Assistant) -> None:
    """ "im totally new, where do i even start with llms" got the core roadmap's prerequisites and the Transformer
    paper's card: one roadmap's start, and a paper no beginner starts with."""
    answer = assistant.ask("im totally new, where do i even start with llms")
    listed = items(answer)
    assert any(item.startswith("1. Build a Strong Foundation in Prerequisites") for item in listed), listed
    assert "Start with the Prerequisites to build a solid foundation" in listed
    assert any(item.startswith("Getting Started: Introduction & Course Overview") for item in listed)
    assert "Vaswani" not in answer.text and answer.unsupported == []


def test_which_first_of_two_things_in_one_order_reads_the_order_and_of_two_alternatives_does_not(
    assistant: Assistant,
) -> None:
    """ "nlp basics or transformers, wich first" was answered with what transformers are; the timeline puts NLP in
    month 4 and transformers in month 5. PyTorch or TensorFlow sit side by side: no order to read."""
    listed = items(assistant.ask("nlp basics or transformers, wich first"))
    assert "Month 4: NLP fundamentals" in listed and "Month 5: Transformers and LLM architectures" in listed
    choice = assistant.ask("pytorch or tensorflow, which one first?")
    assert "Month 4: NLP fundamentals" not in items(choice)


def test_two_things_asked_in_order_are_shown_where_the_order_places_them(assistant: Assistant) -> None:
    """ "curriculum: rlhf first or evaluation first?" listed the curriculum's modules from the first, cut before
    evaluation; "should i learn nlp before or after deep learning" gave the guide's first two steps. The two
    things, and what lies between them, in the one order that places both, answer it."""
    answer = assistant.ask("curriculum: rlhf first or evaluation first?")
    assert answer.text.startswith("The curriculum:\n- 8. Reinforcement Learning from Human Feedback"), answer.text
    assert "9. Evaluation & Benchmarking" in answer.text and "1. Foundations" not in answer.text
    order = assistant.ask("where does tokenization sit in the curriculum, before or after pretraining")
    assert order.text.index("3. Tokenization & Preprocessing") < order.text.index("4. Pretraining LLMs"), order.text
    months = assistant.ask("should i learn nlp before or after deep learning")
    assert "Month 3: Deep learning + PyTorch" in months.text and "Month 4: NLP fundamentals" in months.text
    assert not (answer.unsupported or order.unsupported or months.unsupported)
    # "do i do X before Y or after", "what sits between X and Y": the same two things, the parts between them
    later = assistant.ask("curriculum: do i do model compression before deployment or after")
    assert later.text.index("10. Model Compression") < later.text.index("11. Deployment & Serving"), later.text
    between = assistant.ask("complete roadmap, what sits between ml fundamentals and the transformers section")
    assert "3. Natural Language Processing: 3.1 Traditional NLP" in between.text, between.text


def test_the_part_just_before_a_module_named_by_generic_words_typed_loosely(assistant: Assistant) -> None:
    """ "what do i cover just before the projcts module in the curriculum" was refused ("projcts" was no word of
    the corpus, and "projects" no topic, being generic), then answered with module 11: "just before" is the one
    module before, and "the projects module" names a module."""
    answer = assistant.ask("what do i cover just before the projcts module in the curriculum")
    assert answer.text.startswith("The curriculum:\n- 16. Cutting-Edge Research Trends"), answer.text
    assert "17. Hands-On Projects & Case Studies" in answer.text and "15. Multi-Modal" not in answer.text
    assert assistant.ask("total noob, in what order am i supposed to go through the getting started guide").grounded
    typed = assistant.ask("curiculum q - which module sits right before prompt engineering")
    assert typed.text.startswith("The curriculum:\n- 6. Fine-Tuning & Adaptation"), typed.text


def test_before_the_first_subsection_of_a_part_is_the_part_before_it(assistant: Assistant) -> None:
    """ "which section sits right before the prompt engineering one" (7.1, the first subsection of part 7) had
    nothing before it among its siblings, and was answered with 7.1 itself: what comes before it is part 6, shown
    by its numbered subsections (its last, 6.3, sits right before 7.1)."""
    answer = assistant.ask("which section sits right before the prompt engineering one in the complete roadmap")
    listed = items(answer)
    assert listed[0].startswith("6. Advanced LLM Topics: 6.1 Alignment & Safety; 6.2 Scaling & Efficiency;"), listed
    assert "6.3 Evaluation & Benchmarks" in listed[0] and answer.unsupported == []
    after = assistant.ask("what comes after the policy and governance part of the complete roadmap")
    assert "6.1" not in after.text and "7.1 Prompt Engineering" not in after.text, after.text


def test_each_ask_of_a_question_is_answered_in_turn(assistant: Assistant) -> None:
    """ "total noob, whats prompt engineering and where do i learn it" got the curriculum's list of prompt formats
    and the guide's timeline: asked alone, "whats prompt engineering" gets the complete roadmap's definition with
    its resources. Each ask retrieves its sources and is answered in turn, on one numbering of sources."""
    answer = assistant.ask("total noob, whats prompt engineering and where do i learn it")
    assert "The practice of crafting effective input prompts" in answer.text, answer.text
    assert "Prompt Engineering Guide" in answer.text and answer.unsupported == []
    texts = [s.text for b in answer.blocks for s in b.statements]
    assert len(texts) == len(set(texts))  # nothing said twice
    cited = {n for b in answer.blocks for s in b.statements for n in s.citations}
    assert cited and max(cited) <= len(answer.sources)


def test_books_asked_for_a_level_are_its_tables_records(assistant: Assistant) -> None:
    """ "best books for advanced level in the core roadmap?" listed the level's concepts only: its table of
    books was not retrieved (the table of contents took two places), and when it was, the claim check removed
    each record as said of another item (the labels sit in the table's header)."""
    answer = assistant.ask("best books for advanced level in the core roadmap?")
    assert "Best Book: Designing Machine Learning Systems – Chip Huyen" in answer.text, answer.text
    assert "Generative AI with LLMs" in answer.text and answer.unsupported == []


def test_the_order_inside_a_part_is_its_subsections(assistant: Assistant) -> None:
    """ "getting started nlp step, what order do the subsections go" got the guide's timeline: the order asked
    for is that of the NLP section's own subsections."""
    answer = assistant.ask("getting started nlp step, what order do the subsections go")
    assert answer.text.startswith("The getting-started guide — 3. Dive into Natural Language Processing"), answer.text
    parts = ["Text Preprocessing", "Word Representations", "Core NLP Tasks", "Evaluation in NLP"]
    assert [answer.text.index(p) for p in parts] == sorted(answer.text.index(p) for p in parts)


def test_a_short_list_is_shown_whole_and_a_place_in_the_path_names_each_topic_once(assistant: Assistant) -> None:
    """One item of a short list read as the whole answer ("jobs after the roadmap": "LLM Engineer"); a section
    named in a path listed its topics and then their sub-items again."""
    jobs = assistant.ask("jobs after finishing the core llm roadmap")
    assert {"LLM Engineer", "Generative AI Engineer", "Applied Research Engineer", "AI Systems Engineer"} <= set(
        items(jobs)
    )
    before = assistant.ask("in the core roadmap what comes before the beginner level")
    assert before.text.count("Linear Algebra (embeddings, attention)") == 1, before.text
    assert before.unsupported == []


def test_a_paper_the_question_names_is_answered_by_its_card_first(assistant: Assistant) -> None:
    """ "the chinchilla paper whats it about" opened on the roadmaps' sentences about LLMs in general and gave the
    card last, without its authors; papers asked for on a topic still start from the roadmaps' recommendation."""
    named = assistant.ask("the chinchilla paper whats it about")
    assert named.blocks[0].title == "Papers" and "Jordan Hoffmann" in named.text, named.text
    assert "compute-optimal training" in named.text and "sophisticated AI systems" not in named.text
    on_topic = assistant.ask("Which papers are recommended for chain-of-thought prompting?")
    assert on_topic.blocks[0].title != "Papers" and "Chain of Thought" in on_topic.text, on_topic.text


def test_tell_me_about_a_paper_is_its_card_and_a_name_typed_as_one_word_is_covered(assistant: Assistant) -> None:
    """ "tell me about the gpt3 paper" answered "The sources do not mention gpt3 paper" over the curriculum's GPT
    list, the GPT-3 card retrieved but not shown; "how big was the gpt3 model" never said 175B."""
    for question in ("tell me about the gpt3 paper", "what is the gpt3 paper about"):
        answer = assistant.ask(question)
        assert answer.blocks[0].title == "Papers" and "Language Models are Few-Shot Learners" in answer.text
        assert "do not mention" not in answer.text, answer.text
    assert "175B parameters" in assistant.ask("how big was the gpt3 model").text
    # "what sizes ..." asks for amounts too, though it reads as a list question
    assert "7B to 65B" in assistant.ask("what sizes did the original LLaMA come in").text
    roadmaps = assistant.ask("what do the roadmaps recommend for lora")  # what the roadmaps say stays theirs
    assert roadmaps.blocks[0].title != "Papers", roadmaps.text


def test_a_card_quoted_beside_the_roadmaps_is_headed_by_the_papers_full_title(assistant: Assistant) -> None:
    """A card quoted in a paragraph was headed "GloVe (Pennington et al., 2014)": the title a learner searches
    for ("Global Vectors for Word Representation") was nowhere in the answer."""
    answer = assistant.ask("glove vectors, how are they trained? explain simply")
    titles = [b.title for b in answer.blocks if b.kind == "heading"]
    assert "GloVe: Global Vectors for Word Representation (Pennington et al., 2014)" in titles, answer.text
    rope = assistant.ask("What is RoPE?")  # a title that does not hold the short name keeps it in front
    assert any(t.startswith("RoPE — RoFormer") for t in (b.title for b in rope.blocks if b.kind == "heading"))


def test_subsections_listed_under_their_intro_say_what_each_holds(assistant: Assistant) -> None:
    """The getting-started NLP step lists its subsections under "NLP knowledge bridges the gap ...:". Each was shown
    by its heading alone ("- Text Preprocessing"), so "stemming" was nowhere in the answer to a question about it;
    a subsection of one short sentence now says it, and the check keeps it (it read the heading as an item)."""
    answer = assistant.ask("should i learn classic nlp stuff like stemming first or skip it")
    assert "- Text Preprocessing: Tokenization, stemming, lemmatization, stopword removal" in answer.text, answer.text
    assert "- Word Representations [" in answer.text  # a subsection with a list of its own keeps its heading alone
    assert answer.unsupported == [] and answer.removed == []


def test_a_one_line_section_is_shown_with_the_list_that_opens_it(assistant: Assistant) -> None:
    """ "the core roadmap's first level, which ideas does it cover" was answered with the level's one line ("Understand
    how large language models work internally"), all the Beginner Level says before its subsections; the list that
    opens them says what the level holds."""
    answer = assistant.ask("the core roadmap's first level, which ideas does it cover")
    assert "Understand how large language models work internally" in answer.text, answer.text
    assert "- Tokenization (BPE, WordPiece) [" in answer.text and "- Attention Mechanism [" in answer.text, answer.text
    assert answer.removed == []


def test_a_should_i_question_opens_on_the_recommendation(assistant: Assistant) -> None:
    """Verdict first: the core roadmap's "You don't need to train trillion-parameter models" was ranked 7th and
    left out; the answer gave facts about scaling instead."""
    answer = assistant.ask("should i train my own giant model to be an llm expert")
    first = next(b for b in answer.blocks if b.statements)
    assert first.statements[0].text.startswith("You don't need to train trillion-parameter models"), answer.text


def test_a_recommendation_comes_with_the_rest_of_its_paragraph(assistant: Assistant) -> None:
    """ "do i have to finish the 14 day roadmap in exactly 2 weeks": the answer quoted "I did mention I learned
    these subjects in two weeks" and stopped, and the same paragraph's advice ("don't care about ... a strict
    deadline") and its limit ("it could last 1 month easily") were left out as the author's story."""
    answer = assistant.ask("do i have to finish the 14 day roadmap in exactly 2 weeks")
    assert "strict deadline" in answer.text and "1 month easily" in answer.text, answer.text
    assert answer.grounded and not answer.uncovered


def test_before_a_topic_ends_on_where_it_sits_and_reads_only_ordered_structure(assistant: Assistant) -> None:
    """ "what do i learn before rag in the 6-9 month plan" stopped at Month 5, leaving out the month RAG is in; a
    list of things the 14-day author studied (no order) was read as a path ("before transformers": MoE)."""
    rag = assistant.ask("what do i learn before rag in the 6-9 month plan")
    assert items(rag)[
        -1
    ] == "Month 6: Prompt engineering + RAG" and "Month 5: Transformers and LLM architectures" in items(rag)
    before = assistant.ask("What should I study before transformers?")
    assert "Month 5: Transformers and LLM architectures" in items(before)
    assert "Mixture of Experts" not in before.text and before.unsupported == []


def test_a_topic_item_answers_with_its_resources(assistant: Assistant) -> None:
    answer = assistant.ask("Which resources does the complete roadmap recommend for learning linear algebra?")
    assert items(answer) == ["Linear Algebra - MIT OpenCourseWare", "3Blue1Brown - Essence of Linear Algebra"]
    assert answer.text.count("[") == 2 and "Resource:" not in answer.text


def test_the_users_filters_bind_what_the_structure_adds(assistant: Assistant) -> None:
    answer = assistant.ask("What does the roadmap say about RLHF?", doc_ids=["comprehensive-llm-curriculum"])
    assert answer.grounded and {s.doc_id for s in answer.sources} == {"comprehensive-llm-curriculum"}
    assert "Reward model training" in answer.text


def test_a_number_in_brackets_from_a_document_is_never_read_as_a_citation(assistant: Assistant) -> None:
    from roadmap_rag.text.units import clean_inline

    assert clean_inline("Self-attention weighs every token [42].")[0] == "Self-attention weighs every token."


# -- the fast tier: the composer on hand-picked sources (as if retrieval found them), no model -------------
def compose(
    library: Library,
    question: str,
    needles: list[str],
    named: tuple[str, ...] = (),
    within: Sequence[str] = (),
    **filters: Any,
) -> Checked:
    """The checked answer to ``question`` when retrieval returned the chunks holding a needle (``within``
    these documents)."""
    chunks = [c for doc_id in within or library.doc_ids() for c in library.view(doc_id).chunks]
    sources = [to_source(c, 1.0) for c in chunks if any(n in c.text for n in needles)]
    composition = Composer().compose(question, sources, library, named, (), **filters)
    return verify(composition.blocks, composition.sources, question)


def listed(checked: Checked) -> list[str]:
    return [s.text for b in checked.blocks if b.kind == "list" for s in b.statements]


@pytest.mark.fast
def test_fast_an_intro_comes_with_its_whole_list(library: Library) -> None:
    checked = compose(library, "What can LLMs do?", ["remarkable capabilities"], ("complete-llm-learning-roadmap",))
    first = next(b for b in checked.blocks if b.kind == "list")
    assert first.lead and first.lead.text.endswith("capabilities including:")
    assert len(first.statements) == 7 and "Writing and debugging code" in listed(checked)


@pytest.mark.fast
def test_fast_a_topic_is_placed_in_each_roadmap_then_its_paper(library: Library) -> None:
    checked = compose(library, "What does the roadmap say about LoRA?", ["LoRA"])
    headings = [b.title for b in checked.blocks if b.kind == "heading"]
    for name in ("The complete roadmap", "The curriculum", "The core roadmap", "Papers"):
        assert any(h.startswith(name) for h in headings), headings
    assert "https://arxiv.org/abs/2106.09685" in checked.text and not checked.unsupported


@pytest.mark.fast
def test_fast_path_questions_read_the_roadmaps_order(library: Library) -> None:
    month = compose(library, "What should I study in month 3?", ["Month 3"], ("getting-started-with-llms",))
    assert listed(month) == ["Month 3: Deep learning + PyTorch"]
    question = "What comes right after tokenization and preprocessing?"
    after = compose(library, question, ["Tokenization"], ("comprehensive-llm-curriculum",))
    assert listed(after)[0].startswith("4. Pretraining LLMs: Text corpus collection & cleaning")


@pytest.mark.fast
def test_fast_a_topic_item_answers_with_its_resources_only(library: Library) -> None:
    question = "Which resources does the roadmap recommend for learning linear algebra?"
    checked = compose(library, question, ["Linear Algebra"], ("complete-llm-learning-roadmap",))
    assert listed(checked) == ["Linear Algebra - MIT OpenCourseWare", "3Blue1Brown - Essence of Linear Algebra"]
    assert "Resource:" not in checked.text


@pytest.mark.fast
def test_fast_the_users_filters_bind_what_the_structure_adds(library: Library) -> None:
    only = ["comprehensive-llm-curriculum"]
    checked = compose(library, "What does the roadmap say about RLHF?", ["RLHF"], doc_ids=only, within=only)
    assert checked.citations and {c.source.doc_id for c in checked.citations} == set(only)
    assert "Reward model training" in checked.text


def test_an_explained_topic_ends_on_the_papers_its_quotes_name(assistant: Assistant) -> None:
    """ "explain quantization" quoted "Quantization: LLM.int8() Paper; GPTQ Paper" and never said what GPTQ is;
    a paper named beside the topic but not on it (Llama 2 in a quote on mixture of experts) brings no card."""
    answer = assistant.ask("explain quantization and why ppl do it")
    assert "one-shot 3- and 4-bit weight quantization" in answer.text, answer.text
    assert answer.unsupported == [] and any(c.source.doc_id == "card-gptq" for c in answer.citations)
    moe = assistant.ask("can u explain mixture of experts")
    assert "Llama 2 and Llama 2-Chat" not in moe.text, moe.text
    # Both papers the quantization item recommends, though LLM.int8()'s own line never says "quantization"; a
    # resource named beside the topic in a list about something else brings no card (CLIP beside Claude 3 Opus).
    for question in ("What is quantization, and why would I use it?", "which papers should I read about quantization?"):
        answer = assistant.ask(question)
        assert "8-bit inference that keeps outlier features" in answer.text and not answer.unsupported, answer.text
    assert (
        "contrastive pre-training of image and text"
        not in assistant.ask("how many parameters does claude 3 opus have").text
    )


@pytest.mark.fast
def test_fast_the_papers_a_quote_names_come_with_what_they_introduced(library: Library) -> None:
    question = "explain scaling laws pls"
    checked = compose(library, question, ["Parameter Scaling"], ("complete-llm-roadmap",))
    headings = [b.title for b in checked.blocks if b.kind == "heading"]
    assert headings[-1] == "Papers" and "power-law scaling of language-model loss" in checked.text, checked.text
    assert {c.source.doc_id for c in checked.citations} == {"complete-llm-roadmap", "card-scaling-laws"}
    assert not checked.unsupported
    # A quote off the topic names its paper in vain: no card.
    off = compose(library, "what should i build first", ["Parameter Scaling"], ("complete-llm-roadmap",))
    assert "Papers" not in [b.title for b in off.blocks if b.kind == "heading"]


def test_the_order_of_the_parts_a_question_names_is_their_sections(assistant: Assistant) -> None:
    """ "what order are the levels in the core roadmap" got one level's book list: the roadmap's sections that
    name levels, in the document's order, answer it."""
    levels = items(assistant.ask("what order are the levels in the core roadmap"))
    assert [i.split(" Level")[0] for i in levels] == ["Beginner", "Intermediate", "Advanced"], levels
    months = assistant.ask("whats the order of the months in the getting started guide")
    assert not months.uncovered and "Month 3: Deep learning + PyTorch" in items(months), months.text


def test_a_word_that_shares_a_stem_with_the_roadmaps_name_is_still_the_topic(assistant: Assistant) -> None:
    """ "what comes after compression module in the comprehensive roadmap?" lost "compression" with the name's
    "comprehensive" (one stem), and answered with module 10 itself instead of what follows it."""
    answer = assistant.ask("what comes after compression module in the comprehensive roadmap?")
    assert "11. Deployment & Serving" in answer.text, answer.text
    assert "Quantization (8-bit, 4-bit, mixed precision)" not in answer.text


def test_a_question_about_a_roadmap_as_a_whole_gets_what_it_says_it_is_and_its_parts(assistant: Assistant) -> None:
    """ "whats the core llm roadmap about in short" was answered with one line of its beginner level."""
    answer = assistant.ask("whats the core llm roadmap about in short")
    assert answer.text.startswith("The core roadmap:\nThis roadmap guides learners from LLM fundamentals"), answer.text
    parts = ["Prerequisites", "Beginner Level", "Intermediate Level", "Advanced Level", "Projects"]
    assert all(p in answer.text for p in parts) and answer.unsupported == []
    assert "Table of Contents" not in answer.text
    # A question that names what it wants of the roadmap is not an overview.
    listed = assistant.ask("What does the curriculum list as prerequisites?")
    assert "Linear algebra" in listed.text and "11. Deployment & Serving" not in listed.text, listed.text


def test_what_comes_before_a_whole_roadmap_is_its_own_prerequisites(assistant: Assistant) -> None:
    """ "what do i need to know before starting the comprehensive curriculum" was answered with modules 5 to 7:
    "the comprehensive curriculum" was not read as the curriculum's name, and nothing placed a whole roadmap."""
    answer = assistant.ask("what do i need to know before starting the comprehensive curriculum")
    assert answer.text.startswith("The curriculum"), answer.text
    assert "Linear algebra, probability, statistics" in answer.text and "5. Infrastructure" not in answer.text
    core = assistant.ask("what should i learn before the core roadmap")
    assert "Table of Contents" not in core.text and "Programming: Python; PyTorch basics" in core.text, core.text


def test_what_comes_after_a_whole_roadmap_is_what_it_closes_on(assistant: Assistant) -> None:
    """ "after i finish the curriculum what next" was answered with module 4 and "what comes after finishing the
    whole comprehensive curriculum" with the 14-day author's tips: the curriculum says what follows it in its
    wrap-up ("Future Learning Paths (RL, causality, AI alignment)"), the core roadmap in its career paths."""
    for asked in (
        "after i finish the curriculum what next",
        "what comes after finishing the whole comprehensive curriculum",
    ):
        answer = assistant.ask(asked)
        assert answer.text.startswith("The curriculum — 18. Course Wrap-Up"), answer.text
        assert "Future Learning Paths (RL, causality, AI alignment)" in answer.text and not answer.unsupported
    core = assistant.ask("done with the core roadmap, whats next?")
    assert "Career Paths After This Roadmap" in core.text and "LLM Engineer" in core.text, core.text


def test_a_table_record_cites_the_header_its_labels_come_from(assistant: Assistant) -> None:
    """The core roadmap's advanced resources ("Best University Course: Stanford CS25") were quoted from a chunk
    that starts below the table's header, and the claim check removed them: "'Book' is not in source [5]"."""
    answer = assistant.ask("whats the best university course for advanced level in the core roadmap")
    assert "Best University Course: Stanford CS25; Level: Advanced" in answer.text, answer.text
    assert not [r for r in answer.removed if "Stanford CS25" in r.text]


def test_where_the_best_matches_are_the_authors_story_the_next_best_answer(assistant: Assistant) -> None:
    # The 14-day author's story ("I was already familiar with this field ...") matches best but is never quoted:
    # chosen and then dropped, it left nothing to say, and the question was refused.
    answer = assistant.ask("new to this, which big models should i know the backstory of")
    assert answer.grounded, answer.text
    assert {"GPT Series: OpenAI Blog", "LLaMa: Meta AI Research"} <= set(items(answer)), answer.text


def test_two_asks_never_show_one_heading_twice(assistant: Assistant) -> None:
    # "what is quantization" quoted the GPTQ card, and "why would I use it" the card's line on where it is
    # recommended, under a second, identical GPTQ heading after the papers list.
    answer = assistant.ask("What is quantization, and why would I use it?")
    titles = [b.title for b in answer.blocks if b.kind == "heading" and b.title]
    assert titles and len(titles) == len(set(titles)), titles
