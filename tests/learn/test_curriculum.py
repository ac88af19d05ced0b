"""The roadmaps as curricula: their order, where a topic sits, its level or month, and its prerequisites."""

from __future__ import annotations

import pytest

from roadmap_rag import Assistant, Settings
from roadmap_rag.corpus.documents import discover, iter_documents, load_manifest
from roadmap_rag.learn.curriculum import Curriculum
from roadmap_rag.retrieve.library import Library
from tests.conftest import CORPUS

ROADMAPS = [
    "complete-llm-roadmap",
    "comprehensive-llm-curriculum",
    "core-llm-roadmap",
    "getting-started-with-llms",
    "llm-fundamentals-14-days",
]


@pytest.fixture(scope="module")
def curriculum(library: Library) -> Curriculum:
    return Curriculum(library)


@pytest.mark.fast
def test_each_roadmaps_sections_are_in_the_documents_own_order(curriculum: Curriculum) -> None:
    assert sorted(curriculum.roadmaps()) == sorted(ROADMAPS)
    settings = Settings()
    files = discover([CORPUS / "roadmaps"], settings)[0]
    loaded = iter_documents(files, settings, load_manifest(CORPUS))
    documents = {d.id: d for d in loaded if not isinstance(d, Exception)}
    for doc_id in ROADMAPS:
        text = documents[doc_id].text  # the document as ingested (decoded and normalised)
        titles = [h.text for h in curriculum.spine(doc_id)]
        offsets, at = [], 0
        for title in titles:
            at = text.index(title, at)  # each title found after the one before it
            offsets.append(at)
        assert offsets == sorted(offsets)
    assert len(curriculum.spine("comprehensive-llm-curriculum")) == 19
    assert curriculum.spine("llm-fundamentals-14-days") == []  # a prose article: no sections to order


@pytest.mark.fast
@pytest.mark.parametrize("topic", ["LoRA", "tokenization", "RLHF", "RAG"])
def test_a_topics_path_follows_each_roadmaps_order(curriculum: Curriculum, topic: str) -> None:
    path = curriculum.path(topic)
    assert path.covered and sum(1 for lane in path.lanes if lane.mentions) >= 3
    for lane in path.lanes:
        starts = [m.unit_start for m in lane.mentions]
        assert starts == sorted(starts), lane.roadmap
        for mention in lane.mentions:
            place = mention.place
            if not place.position:
                continue
            assert lane.sections[place.position - 1] == place.top
            assert place.before == (lane.sections[place.position - 2] if place.position > 1 else None)
            assert place.after == (lane.sections[place.position] if place.position < len(lane.sections) else None)


@pytest.mark.fast
def test_place_names_the_neighbouring_sections(curriculum: Curriculum) -> None:
    place = curriculum.place("comprehensive-llm-curriculum", "6. Fine-Tuning & Adaptation")
    assert (place.position, place.sections) == (7, 19)
    assert place.before == "5. Infrastructure & Scaling"
    assert place.after == "7. Prompt Engineering & In-Context Learning"


@pytest.mark.fast
def test_levels_and_timeline_months_come_from_the_roadmap(curriculum: Curriculum) -> None:
    core = curriculum.place("core-llm-roadmap", "Intermediate Level — Core LLM Engineering > Core Concepts")
    assert core.stage == "Intermediate level" and core.section.startswith("Intermediate Level")
    guide = curriculum.place("getting-started-with-llms", "2. Learn the Deep Learning Foundations > Transformers")
    assert guide.stage == "Month 5"  # "Month 5: Transformers and LLM architectures"
    assert curriculum.place("comprehensive-llm-curriculum", "3. Tokenization & Preprocessing").stage is None


@pytest.mark.fast
def test_prerequisites_are_the_roadmaps_own(curriculum: Curriculum) -> None:
    assert curriculum.prerequisites("complete-llm-roadmap") == ("Mathematics & Statistics", "Programming")
    assert curriculum.prerequisites("core-llm-roadmap")[:2] == ("Mathematics", "Programming")
    assert "Linear algebra, probability, statistics" in curriculum.prerequisites("comprehensive-llm-curriculum")
    assert curriculum.prerequisites("getting-started-with-llms")[0] == "Python Programming"


@pytest.mark.fast
def test_roadmaps_that_disagree_say_so(curriculum: Curriculum) -> None:
    path = curriculum.path("LoRA")
    assert any(line.startswith("Not covered by") and "the 14-day roadmap" in line for line in path.disagreements)
    assert any("early" in line and "late" in line for line in path.disagreements)
    complete = next(lane for lane in path.lanes if lane.doc_id == "complete-llm-roadmap")
    assert complete.primary and "LoRA (Hu et al., 2021)" in complete.primary.papers


@pytest.mark.fast
def test_a_topic_no_roadmap_covers_names_the_nearest(fake_assistant: Assistant) -> None:
    path = fake_assistant.path("sourdough baking schedules")
    assert not path.covered and path.nearest
    assert all("(" in entry for entry in path.nearest)  # each names its roadmap


# -- the CLI, on the session index ----------------------------------------------------------------------
@pytest.fixture
def cli_env(assistant: Assistant) -> dict[str, str]:
    return {"ROADMAP_RAG_DATA_DIR": str(assistant.settings.data_dir), "ROADMAP_RAG_CORPUS_DIR": str(CORPUS)}


def test_cli_path_quiz_and_progress(cli_env: dict[str, str]) -> None:
    from typer.testing import CliRunner

    from roadmap_rag.cli import app

    runner = CliRunner()
    path = runner.invoke(app, ["path", "RLHF"], env=cli_env, terminal_width=200)
    assert path.exit_code == 0, path.output
    assert "The curriculum: 8. Reinforcement Learning from Human Feedback (RLHF) (section 9 of 19" in path.output
    assert "path: 3 of 5 roadmaps cover 'RLHF'" in path.output

    quiz = runner.invoke(
        app, ["quiz", "RLHF", "--n", "2", "--profile", "cli-test"], env=cli_env, input="reward model training, PPO\n\n"
    )
    assert quiz.exit_code == 0, quiz.output
    assert "source: " in quiz.output and "Skipped. Expected:" in quiz.output
    assert "quiz: 0.7 of 1 (67%), 1 skipped" in quiz.output  # 2 of 3 facts; the empty answer is a skip

    done = "comprehensive-llm-curriculum:Getting Started"
    progress = runner.invoke(
        app, ["progress", "--profile", "cli-test", "--done", done], env=cli_env, terminal_width=200
    )
    assert progress.exit_code == 0, progress.output
    # The quiz's answer counts toward mastery (one answer: not mastered); the tick is the learner's own claim.
    assert "(0 sections mastered from your answers, 1 ticked by you)" in progress.output
    assert "The curriculum: 1. Foundations of Neural Language Modeling (section 2 of 19" in progress.output
    bad = runner.invoke(app, ["progress", "--done", "nowhere:Intro"], env=cli_env)
    assert bad.exit_code == 2 and "use ROADMAP_ID:SECTION" in bad.output
    asked = runner.invoke(app, ["ask", "What should I study next?"], env=cli_env, terminal_width=200)
    assert asked.exit_code == 0 and "Next for profile default" in asked.output  # from progress, not retrieval
