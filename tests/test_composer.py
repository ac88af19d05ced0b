"""The grounded composer on the shipped corpus: answers shaped like the question, every claim cited."""

from __future__ import annotations

from roadmap_rag import Assistant


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


def test_a_topic_item_answers_with_its_resources(assistant: Assistant) -> None:
    answer = assistant.ask("Which resources does the complete roadmap recommend for learning linear algebra?")
    assert items(answer) == ["Linear Algebra - MIT OpenCourseWare", "3Blue1Brown - Essence of Linear Algebra"]
    assert answer.text.count("[") == 2 and "Resource:" not in answer.text


def test_the_users_filters_bind_what_the_structure_adds(assistant: Assistant) -> None:
    answer = assistant.ask("What does the roadmap say about RLHF?", doc_ids=["comprehensive-llm-curriculum"])
    assert answer.grounded and {s.doc_id for s in answer.sources} == {"comprehensive-llm-curriculum"}
    assert "Reward model training" in answer.text


def test_a_number_in_brackets_from_a_document_is_never_read_as_a_citation(assistant: Assistant) -> None:
    from roadmap_rag.units import clean_inline

    assert clean_inline("Self-attention weighs every token [42].")[0] == "Self-attention weighs every token."
