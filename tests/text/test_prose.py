"""What a sentence of blog prose does: the composer never quotes meta, narrative or comment sentences."""

from __future__ import annotations

import pytest

from roadmap_rag.text.prose import asks_date, asks_duration, asks_price, asks_verdict, is_chatter, states_duration

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    "text",
    [
        "In this article, I am going to share my learning experience.",
        "I was already familiar with this field, so I knew my knowledge gaps exactly.",
        "I am obsessed with going deeper into concepts, even if I already know them.",
        "Thanks for this, great article!",
        "At the time of writing this article, it has been starred 330 times.",
    ],
)
def test_meta_narrative_and_comments_are_chatter(text: str) -> None:
    assert is_chatter(text)


@pytest.mark.parametrize(
    "text",
    [
        "I strongly suggest you take the time to study why this happens.",
        "Self-attention lets each token attend to every other token.",
        "I learned about positional bias where LLMs favor the closer tokens.",
    ],
)
def test_advice_and_facts_are_not(text: str) -> None:
    assert not is_chatter(text)


def test_the_authors_timeline_answers_how_long_and_nothing_else() -> None:
    story = "I was familiar with the field; otherwise this would take more than a month."
    assert not is_chatter(story, "can i learn the fundamentals in 2 weeks?")
    assert not is_chatter(story, "how long does it take to learn llms?")
    assert is_chatter(story, "what is self-attention?")


def test_what_a_question_asks_for() -> None:
    assert asks_duration("how long will it take to learn llms part time")
    # whether a stated time is enough asks about a duration too (the author's "more than a month" answers it)
    assert asks_duration("is 14 days actualy realistic to learn llm fundamentals")
    assert asks_duration("are 2 weeks enough for llms") and not asks_duration("what is a 1 month plan")
    assert asks_verdict("should i learn tensorflow or pytorch?") and asks_verdict("do i need math for this")
    assert not asks_verdict("what is rlhf")
    assert asks_price("how much does an h100 cost") and asks_price("whats the avg salary of an llm engineer")
    assert not asks_price("what is a cost function used for?")
    assert asks_date("when was llama 3 released?") and not asks_date("when should i learn rag?")
    assert states_duration("6-9 months part-time") and not states_duration("the 3 parts")
    # "how long should i spend on self attention" is answered by advice with no number in it
    assert states_duration("I suggest taking as much time as needed for this part")
    assert not states_duration("It is time to build the model")
