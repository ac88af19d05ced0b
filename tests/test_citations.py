"""Citation checking: markers that point nowhere go, quotes come from the cited source."""

from __future__ import annotations

from roadmap_rag.citations import check
from roadmap_rag.types import Source


def src(n: int, text: str) -> Source:
    return Source(id=f"s{n}", doc_id="d", title="T", section="S", text=text, score=1.0)


SOURCES = [
    src(1, "LoRA adapts a frozen model with low-rank matrices.\nIt trains few parameters."),
    src(2, "Mixture of Experts activates only parts of the network for each input."),
]


def test_out_of_range_markers_are_removed_and_quotes_attached() -> None:
    checked = check("LoRA adapts a frozen model with low-rank matrices [1][7].", SOURCES)
    assert checked.text == "LoRA adapts a frozen model with low-rank matrices [1]."
    assert [(c.number, c.quote) for c in checked.citations] == [
        (1, "LoRA adapts a frozen model with low-rank matrices.")
    ]


def test_wrong_citation_is_moved_to_the_supporting_source() -> None:
    checked = check("Mixture of Experts activates only parts of the network [1].", SOURCES)
    assert checked.text.endswith("[2].") and checked.citations[0].number == 2


def test_uncited_sentences_are_aligned_or_reported() -> None:
    checked = check("It trains few parameters. Bananas grow on tropical islands.", SOURCES)
    assert checked.text.startswith("It trains few parameters [1].")
    assert checked.unsupported == ["Bananas grow on tropical islands."]


def test_abbreviations_and_decimals_do_not_end_a_sentence() -> None:
    # The 270M model wrote "(e.g., masking ...)"; splitting at "e." once produced "(e [2]. , masking".
    answer = "LoRA adapts a frozen model (e.g., GPT-3.5) with low-rank matrices [1]. Experts activate parts [2]."
    checked = check(answer, SOURCES)
    assert checked.text == answer
    assert [c.number for c in checked.citations] == [1, 2] and checked.unsupported == []
