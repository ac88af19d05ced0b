"""What the app renders from documents: a document's URL or text can never become an image, raw HTML or a
link outside http(s) in the Markdown the learner's browser shows (OWASP LLM05, improper output handling).

The rendered Markdown is parsed with markdown-it (CommonMark, as Streamlit's renderer reads it) and its tokens
are checked, so what is asserted is what a browser would show, not how the string looks."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from roadmap_rag.display import answer_markdown, dot_label, escape_markdown, safe_url
from roadmap_rag.types import Answer, Block, Statement
from roadmap_rag.units import clean_inline

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


@pytest.mark.parametrize(
    "heading",
    [
        "Ends in a backslash \\",
        'Quote" ] ; x [URL="javascript:alert(1)" label="click',
        "<b>html</b> label\nsecond line",
    ],
)
def test_a_heading_stays_one_graphviz_label(heading: str) -> None:
    """Section names become Graphviz labels in the learning-path picture: one quoted string, whatever they hold
    (a trailing backslash must not escape the closing quote and let the next heading write attributes)."""
    label = dot_label(heading)
    assert re.fullmatch(r'"(?:[^"\\\n]|\\.)*"', label), label


def test_expander_and_button_labels_are_escaped() -> None:
    """Streamlit reads Markdown (images included) in expander, button and tooltip labels too."""
    assert not unsafe(escape_markdown("![x](http://evil.example/x.png) <img src=x>"))
