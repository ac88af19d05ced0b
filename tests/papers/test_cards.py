"""Paper cards in the index: ingested with the corpus, following the catalog, answering paper questions."""

from __future__ import annotations

from pathlib import Path

from roadmap_rag.api import Assistant
from roadmap_rag.index.ingest import ingest
from roadmap_rag.index.state import index_status
from roadmap_rag.index.store import ChromaStore
from roadmap_rag.serve.display import kind_summary
from tests.papers.conftest import lora_pdf


def test_cards_follow_the_catalog_and_a_bad_catalog_keeps_them(make_settings, paper_corpus: Path, embedder) -> None:
    settings = make_settings(corpus_dir=paper_corpus)
    cold = ingest(settings, embedder=embedder)
    assert cold.ok and cold.documents_seen == 8  # one roadmap + seven cards
    docs = index_status(settings).documents
    assert index_status(settings).documents_by_kind == {"roadmap": 1, "paper-card": 7}
    assert kind_summary(docs).startswith("1 roadmap (") and "7 paper cards (" in kind_summary(docs)

    catalog = paper_corpus / "papers" / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    start = text.index("  - {id: glove")
    catalog.write_text(text[:start], encoding="utf-8")  # glove was the last entry
    dropped = ingest(settings, embedder=embedder)
    assert dropped.ok and dropped.documents_removed == 1 and dropped.added == 0
    store = ChromaStore(settings, embedder.name)
    assert not [c for c in store.all_chunks() if c.doc_id == "card-glove"]

    before = sorted(c.id for c in store.all_chunks())
    catalog.write_text("papers: [ {id: broken\n", encoding="utf-8")
    broken = ingest(settings, embedder=embedder)
    assert not broken.ok and "catalog.yaml" in str(broken.failures[0]) and "not valid YAML" in str(broken.failures[0])
    assert sorted(c.id for c in store.all_chunks()) == before  # nothing ingested is lost


def test_a_paper_question_is_answered_from_its_card(assistant: Assistant) -> None:
    answer = assistant.ask("Which paper introduced LoRA and where does the roadmap recommend it?")
    cards = [s for s in answer.sources if s.kind == "paper-card"]
    assert cards and cards[0].title == "LoRA (Hu et al., 2021)"
    cited = {c.source.doc_id for c in answer.citations}
    assert "card-lora" in cited
    assert "Training Techniques" in cards[0].text  # where the complete roadmap recommends it
    assert len([s for s in answer.sources if s.kind != "paper-card"]) == assistant.settings.top_k


def test_a_card_never_displaces_roadmap_text(assistant: Assistant) -> None:
    question = "What does the roadmap say about LoRA?"
    k = assistant.settings.top_k
    mixed = assistant.retrieve(question)
    assert [s.kind for s in mixed[:k]] == ["roadmap"] * k  # the k places all hold roadmap text
    assert 1 <= len(mixed) - k <= assistant.settings.card_k and all(s.kind == "paper-card" for s in mixed[k:])
    # Cards do not reorder the text: the head is what a roadmap-only search returns. (The tail may
    # differ: cards take some of the 20 candidates each retriever returns before fusion.)
    roadmaps_only = assistant.retrieve(question, kinds=["roadmap"])
    assert [s.id for s in mixed[:3]] == [s.id for s in roadmaps_only[:3]]
    only_cards = assistant.retrieve(question, kinds=["paper-card"])
    assert len(only_cards) == assistant.settings.top_k and all(s.kind == "paper-card" for s in only_cards)


def test_a_pdf_named_by_its_arxiv_id_is_titled_from_the_catalog(make_settings, paper_corpus: Path, embedder) -> None:
    (paper_corpus / "papers" / "pdf").mkdir()
    lora_pdf(paper_corpus / "papers" / "pdf" / "2106.09685.pdf")
    settings = make_settings(corpus_dir=paper_corpus)
    report = ingest(settings, embedder=embedder)
    assert report.ok
    paper = index_status(settings).documents["paper-lora"]
    assert paper["kind"] == "paper" and paper["title"] == "LoRA (Hu et al., 2021)"
    assert "1 paper (" in kind_summary(index_status(settings).documents)
