"""The conversation store: one file per conversation under conversations/<profile>/, read back whole or skipped."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from roadmap_rag import Settings
from roadmap_rag.errors import ConfigError
from roadmap_rag.serve.conversations import (
    Conversation,
    ConversationStore,
    Exchange,
    conversation_markdown,
    shorten,
)
from roadmap_rag.serve.display import escape_markdown
from roadmap_rag.types import (
    Answer,
    Block,
    Citation,
    Kind,
    Place,
    Removed,
    Source,
    Statement,
    Timings,
    Turn,
)

pytestmark = pytest.mark.fast

LORA = Source(
    id="c1",
    doc_id="complete",
    title="The complete roadmap",
    section="Fine-tuning > LoRA",
    text="LoRA trains low-rank adapters. <script>x</script>",
    score=0.8,
    url="https://example.org/roadmap",
)
PAPER = Source(
    id="p1",
    doc_id="lora-paper",
    title="LoRA (Hu et al., 2021)",
    section="Method",
    text="We freeze the weights.",
    score=0.5,
    kind=Kind.PAPER,
    page=4,
    url="https://arxiv.org/abs/2106.09685",
)
PLACE = Place("complete", "the complete roadmap", "Fine-tuning > LoRA", "5. Fine-tuning", 5, 9, "4. RLHF", None)


def an_answer(text: str = "LoRA trains low-rank adapters [1].") -> Answer:
    statement = Statement("LoRA trains low-rank adapters.", (1,), (("adapters", "https://example.org/a"),))
    return Answer(
        text=text,
        citations=[Citation(1, LORA, "LoRA trains low-rank adapters.")],
        sources=[LORA, PAPER],
        grounded=True,
        backend="extractive",
        timings=Timings(0.1, 0.2, 0.3, 0.4),
        history=[Turn("q", "a")],
        notes=["a note"],
        blocks=[Block("heading", title="The complete roadmap"), Block("list", (statement,), lead=statement)],
        places=[PLACE],
        id="abc",
        removed=[Removed("LoRA was invented in 1850.", "no source gives that year")],
    )


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(Settings(data_dir=tmp_path), "learner-abc")


def a_conversation(question: str = "What is LoRA?") -> Conversation:
    conversation = Conversation.start()
    conversation.add(Exchange(question, an_answer(), seconds=1.5), [Turn(question, "LoRA trains adapters [1].")])
    return conversation


def test_a_conversation_is_saved_and_loaded_back_whole(store: ConversationStore, tmp_path: Path) -> None:
    conversation = a_conversation()
    conversation.add(Exchange("What should I study next?", next=[PLACE]), conversation.history)
    store.save(conversation)
    assert (tmp_path / "conversations" / "learner-abc" / f"{conversation.id}.json").is_file()
    assert not list((tmp_path / "conversations" / "learner-abc").glob("*.tmp"))  # written atomically
    loaded = store.load(conversation.id)
    assert loaded is not None
    assert loaded.title == "What is LoRA?" and loaded.created == conversation.created
    answer = loaded.turns[0].answer
    assert answer == replace(an_answer(), history=[])  # every field, less the history the conversation keeps
    assert answer is not None and answer.sources[1].kind is Kind.PAPER and answer.blocks[1].statements[0].links
    assert loaded.turns[0].seconds == 1.5 and loaded.turns[1].next == [PLACE] and loaded.turns[1].answer is None
    assert loaded.history == [Turn("What is LoRA?", "LoRA trains adapters [1].")]


def test_conversations_are_listed_most_recent_first_and_the_latest_is_the_last_updated(
    store: ConversationStore,
) -> None:
    first, second = a_conversation("first"), a_conversation("second")
    store.save(first)
    time.sleep(0.01)
    store.save(second)
    assert [c.title for c in store.listing().conversations] == ["second", "first"]
    time.sleep(0.01)
    store.save(first)  # a question added to the older one
    assert [c.title for c in store.listing().conversations] == ["first", "second"]
    latest = store.latest()
    assert latest is not None and latest.id == first.id


def test_rename_and_delete(store: ConversationStore) -> None:
    conversation = a_conversation()
    store.save(conversation)
    renamed = store.rename(conversation.id, "  LoRA\nnotes ")
    assert renamed is not None and renamed.title == "LoRA notes"
    assert store.load(conversation.id).title == "LoRA notes"  # type: ignore[union-attr]
    assert store.rename(conversation.id, "   ").title == "LoRA notes"  # type: ignore[union-attr]
    assert store.delete(conversation.id) and not store.delete(conversation.id)
    assert store.load(conversation.id) is None and store.listing().conversations == []


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"format": 0, "id": "0123456789ab"}),  # an older layout
        json.dumps({"format": 1, "id": "0123456789ab", "title": "t", "created": 1, "updated": 1, "turns": "x"}),
        json.dumps({"format": 1, "id": "0123456789ab", "title": 3, "created": 1, "updated": 1}),
        json.dumps([1, 2]),
    ],
    ids=["not-json", "old-format", "turns-not-a-list", "title-not-text", "not-an-object"],
)
def test_an_unreadable_file_is_skipped_and_named(store: ConversationStore, content: str) -> None:
    good = a_conversation()
    store.save(good)
    (store.folder / "0123456789ab.json").write_text(content, encoding="utf-8")
    listing = store.listing()
    assert [c.id for c in listing.conversations] == [good.id]
    assert listing.unreadable == ["0123456789ab.json"]
    assert store.load("0123456789ab") is None


def test_an_answer_with_a_damaged_field_is_unreadable(store: ConversationStore) -> None:
    conversation = a_conversation()
    store.save(conversation)
    path = store.path(conversation.id)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["turns"][0]["answer"]["sources"][0]["kind"] = "video"  # not a Kind
    path.write_text(json.dumps(data), encoding="utf-8")
    assert store.listing().unreadable == [path.name] and store.load(conversation.id) is None


@pytest.mark.parametrize("name", ["../../x", "a\x00b", "x" * 65, ".hidden", "learner-abc\n", "", "a/b"])
def test_a_profile_name_that_is_not_a_plain_file_name_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match="use 1-64 letters"):
        ConversationStore(Settings(data_dir=tmp_path), name)
    assert not list(tmp_path.rglob("*"))


@pytest.mark.parametrize("conversation_id", ["../x", "0123456789AB", "0123456789abc", ""])
def test_a_conversation_id_that_is_not_ours_is_refused(store: ConversationStore, conversation_id: str) -> None:
    with pytest.raises(ConfigError):
        store.load(conversation_id)
    with pytest.raises(ConfigError):
        store.delete(conversation_id)


def test_a_title_is_the_first_question_shortened_at_a_word() -> None:
    long = "What does the complete roadmap say about low-rank adaptation and how it compares to full fine-tuning?"
    title = shorten(long)
    assert len(title) <= 60 and title.endswith("…") and long.startswith(title[:-1])
    assert shorten("  What\nis   LoRA? ") == "What is LoRA?"


def test_the_markdown_export_holds_each_question_answer_and_numbered_cited_source() -> None:
    conversation = a_conversation("What is <b>LoRA</b>?")
    text = conversation_markdown(conversation)
    assert escape_markdown("What is <b>LoRA</b>?") in text and "<b>" not in text
    assert escape_markdown("LoRA trains low-rank adapters [1].") in text
    assert (
        f"- {escape_markdown('[1] The complete roadmap — Fine-tuning > LoRA')} — <https://example.org/roadmap>" in text
    )
    assert "Hu et al" not in text  # retrieved, not cited
