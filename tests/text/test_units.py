"""One model of text units: sentences, list items with their intro, table rows as records, links as text."""

from __future__ import annotations

import pytest

from roadmap_rag.text.sentences import split_sentences
from roadmap_rag.text.units import Link, parse, topic_text

pytestmark = pytest.mark.fast  # logic only: no model, no Chroma, no server (make test-fast)


def test_sentences_do_not_break_inside_numbers_abbreviations_urls_or_citations() -> None:
    text = (
        "It improves BLEU by more than 2.0 points (Vaswani et al., 2017). Accuracy rose 3.6% with ϵ = 0.2. "
        "See https://arxiv.org/abs/1706.03762 for details, e.g. the appendix. Next sentence."
    )
    assert split_sentences(text) == [
        "It improves BLEU by more than 2.0 points (Vaswani et al., 2017).",
        "Accuracy rose 3.6% with ϵ = 0.2.",
        "See https://arxiv.org/abs/1706.03762 for details, e.g. the appendix.",
        "Next sentence.",
    ]


def test_a_list_keeps_its_intro_and_a_resource_line_joins_its_topic() -> None:
    units = parse(
        "Modern LLMs operate on a few key principles:\nPre-training - learn patterns\nPrompting - guide it\n"
        "- Linear Algebra\n- Resource: 3Blue1Brown - Essence of Linear Algebra\n"
    )
    intro, first, second = units[0], units[1], units[2]
    assert intro.kind == "intro" and first.kind == second.kind == "item"
    assert first.intro == second.intro == "Modern LLMs operate on a few key principles:"
    topic = next(u for u in units if u.text == "Linear Algebra")
    assert topic_text(topic) == "Linear Algebra: 3Blue1Brown - Essence of Linear Algebra"


def test_table_rows_are_records_and_links_are_their_text() -> None:
    text = (
        "| S.No | Architecture / Technique | Best Video | Best Blog / Article | Level |\n"
        "|----:|----|----|----|----|\n"
        "| 4 | Instruction Tuning | [Instruction Tuning](https://www.youtube.com/watch?v=1) "
        "| [FLAN Paper](https://arxiv.org/abs/2109.01652) | Intermediate |\n"
        "- [**Tokenization (BPE, WordPiece)**](https://huggingface.co/docs/transformers/tokenizer_summary)\n"
    )
    row, item = [u for u in parse(text) if u.kind in ("row", "item")]
    assert row.text == (
        "Instruction Tuning: Best Video: Instruction Tuning; Best Blog / Article: FLAN Paper; Level: Intermediate"
    )
    assert Link("FLAN Paper", "https://arxiv.org/abs/2109.01652") in row.links
    assert item.text == "Tokenization (BPE, WordPiece)" and item.is_link_only
    assert text[row.start : row.end].startswith("| 4 |")  # spans quote the source verbatim


def test_rows_of_a_table_whose_header_is_in_another_chunk_are_still_read() -> None:
    text = "| 2 | [Hugging Face Course](https://huggingface.co/course) | Beginner |\n\n---"
    (row,) = parse(text)
    assert row.kind == "row" and row.text == "Hugging Face Course; Beginner"
