"""What the app renders from documents: a document's URL or text can never become an image, raw HTML or a
link outside http(s) in the Markdown the learner's browser shows (OWASP LLM05, improper output handling).

The rendered Markdown is parsed with markdown-it (CommonMark, as Streamlit's renderer reads it) and its tokens
are checked, so what is asserted is what a browser would show, not how the string looks."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from roadmap_rag.serve.display import (
    answer_markdown,
    cited_answer_markdown,
    cited_in_order,
    escape_markdown,
    safe_url,
    source_html,
    visible_text,
)
from roadmap_rag.settings import Settings
from roadmap_rag.text.units import clean_inline
from roadmap_rag.types import Answer, Block, Citation, Source, Statement
from tests.fakes import HashingEmbedder, MemoryStore

pytestmark = pytest.mark.fast

_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _inline(markdown: str) -> list[Token]:
    tokens: list[Token] = []
    for block in _MARKDOWN.parse(markdown):
        tokens.append(block)
        tokens.extend(block.children or [])
    return tokens


def unsafe(markdown: str) -> list[str]:
    """Everything in ``markdown`` a document must never place on the page: an image, raw HTML, a link that is
    not http(s)."""
    found = []
    for token in _inline(markdown):
        if token.type == "image" or token.type.startswith("html"):
            found.append(f"{token.type}: {token.content or token.attrs}")
        href = str(token.attrs.get("href", "")) if token.type == "link_open" else ""
        if token.type == "link_open" and not re.match(r"https?://[^\s]", href):
            found.append(f"link to {href!r}")
    return found


def links(markdown: str) -> list[str]:
    return [str(t.attrs["href"]) for t in _inline(markdown) if t.type == "link_open"]


def shown(statement: Statement) -> str:
    """The app's Markdown for an answer holding ``statement``."""
    blocks = [Block("list", statements=(statement,))]
    return answer_markdown(Answer(statement.text, [], [], True, "extractive", blocks=blocks))


def rendered(document_line: str) -> str:
    """A line of a document as the composer quotes it (its links kept) and the app renders it."""
    text, found = clean_inline(document_line)
    return shown(Statement(text, (1,), tuple((link.text, link.url) for link in found)))


# Lines a document could hold, each trying to reach the page as an image, HTML or a script link.
HOSTILE_LINES = [
    "Read [the guide](http://x.example/a![p](http://evil.example/p.png)) now.",
    "See [LoRA](https://e.example/a)![t](https://evil.example/t.png) here.",
    "Open [docs](https://e.example/<img src=x onerror=alert(1)>) first.",
    'Open [docs](https://e.example/"><script>alert(1)</script>) first.',
    "Try [this](javascript:alert(1)) and [that](data:text/html;base64,PHNjcmlwdD4=).",
    "Read [it](https://e.example/a) ![x](http://evil.example/x.png) <b>bold</b> <img src=x>.",
    "Read [it](https://e.example/a%20b)`code`[y](vbscript:msgbox).",
    "See [the paper](https://e.example/x)](https://evil.example/) and more.",
]


@pytest.mark.parametrize("line", HOSTILE_LINES)
def test_a_documents_link_never_becomes_an_image_html_or_script(line: str) -> None:
    markdown = rendered(line)
    assert not unsafe(markdown), markdown


def test_an_http_link_stays_a_link_to_its_own_address() -> None:
    markdown = rendered("Read [the LoRA paper](https://arxiv.org/abs/2106.09685) before fine-tuning.")
    assert links(markdown) == ["https://arxiv.org/abs/2106.09685"] and not unsafe(markdown)
    # A URL holding Markdown syntax is kept as one link, its brackets percent-encoded, not split into an image.
    assert links(rendered("Read [the guide](http://x.example/a![p](http://evil.example/p.png)) now.")) == [
        "http://x.example/a%21%5Bp%5D%28http://evil.example/p.png"
    ]


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:image/png;base64,AAAA", "vbscript:x", "http:/nohost", "file:///etc/passwd", " ", ""],
)
def test_only_http_urls_are_kept(url: str) -> None:
    assert safe_url(url) is None


def test_a_kept_url_has_no_character_with_a_markdown_meaning() -> None:
    url = safe_url("https://e.example/a(c)[d]<e>!`f`\\\"g'h*$")
    assert url is not None and not re.search(r"[\s()\[\]<>!`\\\"']", url), url
    assert safe_url("https://arxiv.org/pdf/2106.09685#page=4") == "https://arxiv.org/pdf/2106.09685#page=4"
    for broken in ("https://e.example/a\nb", "https://e.example/a b", "https://e.example/\x00"):
        assert safe_url(broken) is None  # whitespace or a control character: no URL a document should give


_MARKUP = st.sampled_from(list("![]()<>`\\\"' *_#:|~$"))
_PIECES = st.one_of(
    st.text(max_size=6), _MARKUP, st.sampled_from(["![", "](", "<img ", "javascript:", "data:", "http://"])
)


@settings(max_examples=300, deadline=None)
@given(
    label=st.text(st.one_of(st.characters(codec="utf-8"), _MARKUP), min_size=1, max_size=20),
    url=st.lists(_PIECES, max_size=12).map("".join),
    rest=st.text(st.one_of(st.characters(codec="utf-8"), _MARKUP), max_size=30),
)
def test_no_label_or_url_a_document_holds_renders_unsafe(label: str, url: str, rest: str) -> None:
    """Any (label, URL) pair, and any text around it: the answer's Markdown holds no image, no HTML and no link
    outside http(s)."""
    statement = Statement(f"{rest} {label} {rest}", (1,), ((label, f"https://e.example/{url}"), (label, url)))
    assert not unsafe(shown(statement)), shown(statement)


def test_expander_and_button_labels_are_escaped() -> None:
    """Streamlit reads Markdown (images included) in expander, button and tooltip labels too."""
    assert not unsafe(escape_markdown("![x](http://evil.example/x.png) <img src=x>"))


# -- source passages: the corpus's Markdown rendered, sanitised, the cited span marked ----------------------
class _Elements(HTMLParser):
    """Every element of an HTML fragment, as a browser would build it: (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def elements(fragment: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(fragment)
    return parser.found


LIVE = {"script", "img", "iframe", "style", "object", "embed", "svg", "form", "input", "link", "meta"}


def live(fragment: str) -> list[str]:
    """Whatever in ``fragment`` would load, run or style something: an element that fetches or runs, an event
    handler, a style or a link outside http(s)."""
    found = [tag for tag, _ in elements(fragment) if tag in LIVE]
    for tag, attrs in elements(fragment):
        found += [f"{tag} {name}" for name in attrs if name.startswith("on") or name in ("style", "src")]
        if "href" in attrs and not re.match(r"https?://", attrs["href"]):
            found.append(f"{tag} href={attrs['href']!r}")
    return found


def test_every_chunk_of_the_shipped_corpus_renders_as_formatted_text(
    fake_index: tuple[Settings, HashingEmbedder, MemoryStore],
) -> None:
    """Headings, bold, links and tables are formatting, not characters on the page; nothing live either."""
    chunks = fake_index[2].all_chunks()
    assert len(chunks) > 100
    raw = {}
    for chunk in chunks:
        shown = source_html(chunk.text)
        seen = [m for m in ("##", "**", "](", "|---") if m in visible_text(shown)]
        seen += [m for m in ("<script", "onerror=", "javascript:") if m in shown.lower()]
        if seen or live(shown):
            raw[chunk.id] = seen + live(shown)
    assert not raw, raw
    assert any("<table>" in source_html(c.text) for c in chunks)  # the corpus's tables are tables
    assert any("<h2>" in source_html(c.text) for c in chunks)


HOSTILE_MARKDOWN = {
    "script": "Intro <script>alert(document.cookie)</script> end",
    "img onerror": "Intro <img src=x onerror=alert(1)> end",
    "javascript link": "Intro [click me](javascript:alert(1)) and [data](data:text/html;base64,PHNjcmlwdD4=) end",
    "markdown image": "Intro ![tracking pixel](http://evil.example/p.png) "
    "[![build](http://s.example/b.svg)](http://e.example) end",
    "html comment": "Intro <!-- <script>alert(1)</script> secret --> end",
    "raw html block": '<div onclick="alert(1)" style="position:fixed">\n\n**bold** end',
}


@pytest.mark.parametrize("markdown", HOSTILE_MARKDOWN.values(), ids=HOSTILE_MARKDOWN.keys())
def test_hostile_markdown_renders_to_inert_text(markdown: str) -> None:
    shown = source_html(markdown, ["Intro"])
    assert not live(shown), shown
    assert "javascript:" not in shown and "data:" not in shown and "evil.example" not in shown, shown
    tags = {tag for tag, _ in elements(shown)}
    assert tags <= {"p", "a", "strong", "mark"}, shown
    text = visible_text(shown)
    assert text.strip().endswith("end") and "](" not in text and "secret" not in text, text


def test_an_image_shows_as_its_alt_text_and_a_link_outside_http_as_its_label() -> None:
    text = visible_text(source_html(HOSTILE_MARKDOWN["markdown image"] + " " + HOSTILE_MARKDOWN["javascript link"]))
    assert "tracking pixel" in text and "build" in text and "click me" in text, text


def test_the_cited_span_is_marked_in_the_rendered_source() -> None:
    text = "## Resources\n- **PEFT / LoRA Documentation**\n- [LoRA paper](https://arxiv.org/abs/2106.09685)\n- Other"
    shown = source_html(text, ["- **PEFT / LoRA Documentation**\n- [LoRA paper]"])
    assert "<li><strong><mark>PEFT / LoRA Documentation</mark></strong></li>" in shown, shown
    assert "<mark>LoRA paper</mark></a>" in shown and shown.count("<li>") == 3, shown
    assert shown.count("<mark>") == shown.count("</mark>") == 2
    assert "<mark>" not in source_html(text, ["not in the passage"])


def test_a_numbered_item_keeps_the_documents_own_number() -> None:
    """A .txt roadmap numbers a section "6." and its items from "1.": the quote "2. Adapter modules" must not be
    shown as item 8."""
    shown = source_html("6. Fine-Tuning & Adaptation:\n1. Full-model fine-tuning\n2. Adapter modules, LoRA\n")
    assert '<li value="2">Adapter modules, LoRA</li>' in shown and '<li value="6">' in shown, shown


# -- live citations: chips in the answer, sources in reading order --------------------------------------------
def _source(n: int, text: str) -> Source:
    return Source(f"c{n}", "doc", f"Roadmap {n}", "Section", text, 0.5)


def cited_answer() -> Answer:
    """Five sources retrieved; the answer cites [4] first, then [2], then [4] again."""
    sources = [_source(n, f"Passage {n} about LoRA.") for n in range(1, 6)]
    sources[3] = _source(4, 'LoRA adds "low-rank" <b>update</b> matrices & keeps weights frozen.')
    blocks = [
        Block("paragraph", statements=(Statement("LoRA adds low-rank matrices.", (4,)),)),
        Block("list", statements=(Statement("It is a PEFT method.", (2,)), Statement("Weights stay frozen.", (4,)))),
    ]
    citations = [
        Citation(4, sources[3], 'LoRA adds "low-rank" <b>update</b> matrices'),
        Citation(2, sources[1], "Passage 2 about LoRA."),
        Citation(4, sources[3], "keeps weights frozen."),
    ]
    return Answer("LoRA adds low-rank matrices. [4]", citations, sources, True, "extractive", blocks=blocks)


def test_sources_are_listed_in_the_order_the_answer_first_cites_them() -> None:
    assert cited_in_order(cited_answer()) == [4, 2]
    model = Answer("LoRA [3] is a PEFT method [1][3]; see [9].", [], [_source(n, "x") for n in range(1, 4)], True, "m")
    assert cited_in_order(model) == [3, 1]  # [9] names no source


def test_each_marker_is_a_chip_linking_to_its_source_with_the_quote_as_preview() -> None:
    markdown = cited_answer_markdown(cited_answer())
    chips = [attrs for tag, attrs in elements(markdown) if tag == "a"]
    assert [c["href"] for c in chips] == ["#source-4", "#source-2", "#source-4"]
    assert chips[0]["title"] == 'LoRA adds "low-rank" <b>update</b> matrices'  # decoded: the quote, as text
    assert 'title="LoRA adds &quot;low-rank&quot; &lt;b&gt;update&lt;/b&gt; matrices"' in markdown
    # In the Markdown the quote is text: the only HTML tokens are the chips' own tags.
    html_tokens = [t.content for t in _inline(markdown) if t.type.startswith("html")]
    assert all(re.fullmatch(r'<a class="rr-cite" [^<>]*>|<span class="rr-tip">|</span>|</a>', t) for t in html_tokens)
    assert len(html_tokens) == 12
    model = Answer("LoRA is a PEFT method [1].", [], [_source(1, "PEFT")], True, "m")
    assert 'href="#source-1"' in cited_answer_markdown(model)
