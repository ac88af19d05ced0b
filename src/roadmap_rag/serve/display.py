"""What the CLI and the app show: document and model text made safe for Markdown, and index summaries.

Streamlit's Markdown would otherwise turn corpus text into links, images (a network request), LaTeX or
colour directives. Every character with a Markdown meaning is backslash-escaped, and a document's URL becomes
a link only when it is http(s), with every character that could end the link or start markup percent-encoded
(OWASP LLM05: a URL holding "![p](...)" must not become a tracking pixel).

A source passage is shown formatted: its Markdown is rendered by markdown-it with raw HTML off (a document's
tags stay text), images become their alt text, links outside http(s) become their label, and the result passes
nh3's allow-list (no script, no event handler, no style) before the app shows it as HTML. The only HTML the
app adds itself is ours: citation chips, the <mark> of a cited span and the source cards around them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlparse

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from roadmap_rag.index.state import count_by_kind
from roadmap_rag.types import Answer, Kind, Place, Source, Statement

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def escape_markdown(text: str) -> str:
    """Show ``text`` literally in st.markdown (and in expander labels)."""
    return _SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def highlight(text: str, quote: str) -> str:
    """``text`` escaped, with the first occurrence of ``quote`` marked (the cited span)."""
    at = text.find(quote) if quote else -1
    if at < 0:
        return escape_markdown(text)
    before, marked, after = text[:at], text[at : at + len(quote)], text[at + len(quote) :]
    return f"{escape_markdown(before)}:orange-background[{escape_markdown(marked)}]{escape_markdown(after)}"


def source_label(number: int, source: Source) -> str:
    """``[3] Title — Section > Sub, p. 4`` (escaped)."""
    return escape_markdown(f"[{number}] {source.label()}")


# What a URL may keep as it is inside a Markdown link: RFC 3986's unreserved and delimiter characters less
# those with a Markdown meaning ( ( ) [ ] ! ' * and $ ); "%" so that an encoded URL is not encoded twice.
_URL_SAFE = "-._~:/?#@&+,;=%"
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def safe_url(url: str | None) -> str | None:
    """A document's URL as a link target, or None: http(s) with a host only (no javascript:, data:, file:),
    no whitespace or control character inside, and every other character percent-encoded, so that it can
    neither close the link nor open an image or HTML in the Markdown around it."""
    url = (url or "").strip()
    if not url or _CONTROL.search(url):
        return None
    try:
        parsed = urlparse(url)
    except ValueError:  # an unbalanced IPv6 bracket
        return None
    if parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        return None
    return quote(url, safe=_URL_SAFE)


def _free(text: str, label: str, taken: list[tuple[int, int, str]]) -> int:
    """Where ``label`` first occurs in ``text`` outside the spans already linked, or -1."""
    at = text.find(label)
    while at >= 0 and any(start < at + len(label) and at < end for start, end, _ in taken):
        at = text.find(label, at + 1)
    return at


def linked_markdown(text: str, links: tuple[tuple[str, str], ...]) -> str:
    """``text`` escaped, the first free occurrence of each link's label made a Markdown link to its URL when
    that URL is safe (``safe_url``). Each piece is escaped on its own, so a label is never found inside an
    escape sequence or inside another link's URL."""
    spans: list[tuple[int, int, str]] = []
    for label, url in links:
        target = safe_url(url)
        at = _free(text, label, spans) if label and target else -1
        if target and at >= 0:
            spans.append((at, at + len(label), target))
    out, done = [], 0
    for start, end, target in sorted(spans):
        out += [escape_markdown(text[done:start]), f"[{escape_markdown(text[start:end])}]({target})"]
        done = end
    return "".join([*out, escape_markdown(text[done:])])


Marker = Callable[[int], str]


def plain_marker(number: int) -> str:
    """``[n]`` as literal text in Markdown."""
    return f"\\[{number}\\]"


def _statement(statement: Statement, marker: Marker = plain_marker) -> str:
    """A claim: corpus text escaped, its links as Markdown links (http/https only), its [n] markers ours."""
    markers = "".join(f" {marker(n)}" for n in statement.citations)
    return f"{linked_markdown(statement.text, statement.links)}{markers}"


_ESCAPED_MARKER = re.compile(r"\\\[(\d+)\\\]")


def answer_markdown(answer: Answer, marker: Marker = plain_marker) -> str:
    """The answer's own structure as Markdown (headings bold, lists as bullets); every piece of corpus
    text inside it escaped, so a document can never inject markup. ``marker`` writes each [n] (the app's
    citation chips); an answer without structure (a model's text) has its escaped [n] replaced the same way."""
    if not answer.blocks:
        return _ESCAPED_MARKER.sub(lambda m: marker(int(m.group(1))), escape_markdown(answer.text))
    parts = [
        f"_{escape_markdown(block.title)}_"
        if block.kind == "note"
        else block.render(lambda s: _statement(s, marker), lambda title: f"**{escape_markdown(title)}**")
        for block in answer.blocks
    ]
    return "\n\n".join(p for p in parts if p)


# -- live citations: [n] chips in the answer, the cited sources in reading order ---------------------------
_MARKER_TEXT = re.compile(r"\[(\d+)\]")


def cited_in_order(answer: Answer) -> list[int]:
    """The source numbers the answer cites, in the order a reader meets them (then any citation the text does
    not show), so the Sources list follows the answer rather than the retrieval ranking."""
    if answer.blocks:
        statements = [s for b in answer.blocks for s in ([b.lead] if b.lead else []) + list(b.statements)]
        numbers = [n for s in statements for n in s.citations]
    else:
        numbers = [int(n) for n in _MARKER_TEXT.findall(answer.text)]
    numbers += [c.number for c in answer.citations]
    return [n for n in dict.fromkeys(numbers) if 1 <= n <= len(answer.sources)]


def quotes_by_number(answer: Answer) -> dict[int, list[str]]:
    """Every quote the answer cites from each source, in citation order (a source may support several claims)."""
    quotes: dict[int, list[str]] = {}
    for citation in answer.citations:
        if citation.quote and citation.quote not in quotes.setdefault(citation.number, []):
            quotes[citation.number].append(citation.quote)
    return quotes


def source_anchor(number: int) -> str:
    """The in-page id of source ``number``: a chip links to ``#source-3``."""
    return f"source-{number}"


def citation_chip(number: int, quote: str) -> str:
    """``[n]`` as a small link to its source, with the quoted passage as its hover preview (a CSS tooltip, and
    the title attribute for assistive technology). The quote is plain text, escaped for both the attribute
    and the Markdown around the chip, so a document can neither close the tag nor add markup."""
    preview = preview_text(quote)
    tip = f'<span class="rr-tip">{escape_markdown(preview)}</span>' if preview else ""
    title = html.escape(preview, quote=True)
    return f'<a class="rr-cite" href="#{source_anchor(number)}" title="{title}">\\[{number}\\]{tip}</a>'


def cited_answer_markdown(answer: Answer) -> str:
    """The answer's Markdown with each [n] of a listed source a chip (shown with unsafe_allow_html: every
    piece of document text inside is backslash-escaped, ``<`` and ``&`` included, so the only tags are ours)."""
    quotes = quotes_by_number(answer)

    def chip(number: int) -> str:
        if not 1 <= number <= len(answer.sources):
            return plain_marker(number)
        return citation_chip(number, next(iter(quotes.get(number, [])), answer.sources[number - 1].text[:300]))

    return answer_markdown(answer, chip)


# -- corpus Markdown as sanitised HTML --------------------------------------------------------------------
# Two characters a document never needs mark where a cited span starts and ends while the Markdown is rendered;
# punctuation (Pd) so that emphasis next to them still opens and closes as it would without them.
_START, _END = "\u2e3a", "\u2e3b"
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_LINE_MARKUP = re.compile(r"(?:[ \t]*(?:#{1,6}|[-*+>]|\d{1,9}[.)]|\|)(?:[ \t]+|$))+")
_TAG_OR_MARK = re.compile(f"(<[^>]*>|{_START}|{_END})")
_LINK = re.compile(r"\[[^\]\n]*\]\((?P<target>[^()\s]*(?:\([^()\s]*\))?[^()\s]*)(?:\s+\"[^\"\n]*\")?\)")
_EMPTY_MARK = re.compile(r"<mark>(\s*)</mark>")
_TAGS = {"p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "hr", "ul", "ol", "li", "a", "mark"}
_TAGS |= {"table", "thead", "tbody", "tr", "th", "td", "h1", "h2", "h3", "h4", "h5", "h6"}
_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}, "li": {"value"}}


def _image_as_alt(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """An image (a shield badge, a tracking pixel) is never fetched: its alt text stands in its place."""
    return html.escape(renderer.renderInlineAsText(tokens[idx].children or [], options, env))


def _markdown() -> MarkdownIt:
    """CommonMark with tables and strikethrough; raw HTML off; a line break where the document has one (the
    .txt roadmaps are one item a line). Every link is parsed, so that one we refuse shows as its label."""
    md = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(["table", "strikethrough"])
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # refused links are unlinked later
    md.add_render_rule("image", _image_as_alt)
    return md


_MD = _markdown()


def _keep_item_numbers(tokens: Iterable[Token]) -> None:
    """A numbered item shows the document's own number: CommonMark would count on from the list's first one, so
    "6. Fine-Tuning" followed by "1. Full-model" and "2. Adapter modules" would read 6, 7, 8 and no longer match
    the quote."""
    for token in tokens:
        if token.type == "list_item_open" and token.info.isdigit():
            token.attrs["value"] = token.info


def _unlink_unsafe(tokens: Iterable[Token]) -> None:
    """A link whose target is not http(s) (javascript:, data:, a relative path) keeps its label as text."""
    for block in tokens:
        children = block.children or []
        dropping = False
        for token in children:
            if token.type == "link_open":
                dropping = safe_url(str(token.attrs.get("href", ""))) is None
            if dropping and token.type in ("link_open", "link_close"):
                token.type, token.tag, token.content, token.attrs = "text", "", "", {}
            if token.type == "link_close":
                dropping = False


def _render(markdown: str) -> str:
    """``markdown`` as HTML, before the sanitiser."""
    tokens = _MD.parse(markdown)
    _keep_item_numbers(tokens)
    _unlink_unsafe(tokens)
    return str(_MD.renderer.render(tokens, _MD.options, {}))


def _safe_href(tag: str, attribute: str, value: str) -> str | None:
    return safe_url(html.unescape(value)) if attribute == "href" else value


def sanitise(fragment: str) -> str:
    """nh3's allow-list: formatting tags only, links to http(s) only (opened in a new tab), no attribute that
    could run or style anything; a script's or style's content is dropped with it."""
    return nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_safe_href,
        clean_content_tags={"script", "style"},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def _outside_links(text: str, at: int) -> int:
    """``at``, or the end of the link whose ``](target)`` it falls inside: a mark there would break the link."""
    for link in _LINK.finditer(text):
        if link.start("target") - 2 < at < link.end():
            return link.end()
    return at


def _spans(text: str, quotes: Iterable[str]) -> list[tuple[int, int]]:
    """Where each quote sits in ``text``, overlaps merged; a span starting a line starts after the line's
    list, heading or table markers, so that the marker still opens its list, heading or table, and no span
    starts or ends inside a link's target."""
    found = []
    for quote_ in quotes:
        at = text.find(quote_) if quote_ else -1
        if at < 0:
            continue
        end = at + len(quote_)
        if at == 0 or text[at - 1] == "\n":
            markup = _LINE_MARKUP.match(text, at)
            at = min(markup.end(), end) if markup else at
        found.append((_outside_links(text, at), _outside_links(text, end)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _with_sentinels(text: str, spans: Sequence[tuple[int, int]]) -> str:
    out, done = [], 0
    for start, end in spans:
        out += [text[done:start], _START, text[start:end], _END]
        done = end
    return "".join([*out, text[done:]])


def _marks(fragment: str) -> str:
    """The sentinels as <mark> elements, closed around every tag between them, so that a span crossing list
    items or table cells is marked in each and the HTML stays well nested."""
    out, inside = [], False
    for piece in _TAG_OR_MARK.split(fragment):
        if piece == _START:
            out.append("<mark>")
            inside = True
        elif piece == _END:
            out.append("</mark>" if inside else "")
            inside = False
        elif inside and piece.startswith("<"):
            out.append(f"</mark>{piece}<mark>")
        else:
            out.append(piece)
    return _EMPTY_MARK.sub(r"\1", "".join(out + (["</mark>"] if inside else [])))


def _clean_source(text: str) -> str:
    """A document's text before rendering: no comment (hidden in the original too), no sentinel of ours."""
    return _COMMENT.sub("", text).replace(_START, "").replace(_END, "")


def source_html(text: str, quotes: Iterable[str] = ()) -> str:
    """A source passage's Markdown as sanitised HTML, each cited quote inside a <mark>."""
    text = _clean_source(text)
    return sanitise(_marks(_render(_with_sentinels(text, _spans(text, quotes)))))


def visible_text(fragment: str) -> str:
    """What a reader sees of an HTML fragment: its text, tags removed and entities decoded."""
    return html.unescape(nh3.clean(fragment, tags=set()))


def preview_text(markdown: str, limit: int = 300) -> str:
    """A passage as one line of plain text (its Markdown rendered, then read), at most ``limit`` characters."""
    flat = " ".join(visible_text(source_html(markdown)).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def source_card(number: int, source: Source, quotes: Sequence[str], cited: bool) -> str:
    """One source as HTML: its anchor (the chips' target), its escaped label, and its passage rendered."""
    state = "cited" if cited else "retrieved, not cited"
    label = html.escape(f"[{number}] {source.label()} · {state}")
    return (
        f'<div class="rr-source" id="{source_anchor(number)}"><div class="rr-source-label">{label}</div>'
        f'<div class="rr-source-body">{source_html(source.text, quotes)}</div></div>'
    )


CITATION_CSS = """<style>
a.rr-cite{position:relative;display:inline-block;padding:0 .35em;margin:0 .1em;border-radius:.6em;
  font-size:.8em;line-height:1.4;text-decoration:none;background:rgba(255,164,33,.18);color:inherit;
  border:1px solid rgba(255,164,33,.6)}
a.rr-cite:hover{background:rgba(255,164,33,.4)}
a.rr-cite .rr-tip{display:none;position:absolute;left:0;top:1.8em;z-index:1000;width:28rem;max-width:70vw;
  padding:.5em .7em;border-radius:.4em;background:#262730;color:#fafafa;font-size:.85rem;line-height:1.35;
  white-space:normal;box-shadow:0 2px 8px rgba(0,0,0,.3)}
a.rr-cite:hover .rr-tip,a.rr-cite:focus .rr-tip{display:block}
.rr-source{border:1px solid rgba(128,128,128,.35);border-radius:.5rem;padding:.6rem .8rem;margin:.4rem 0;
  scroll-margin-top:5rem}
.rr-source:target{outline:2px solid rgb(255,164,33)}
.rr-source-label{font-weight:600;margin-bottom:.3rem}
.rr-source-body h1,.rr-source-body h2,.rr-source-body h3,.rr-source-body h4,.rr-source-body h5,
.rr-source-body h6{font-size:1rem;margin:.4rem 0 .2rem;padding:0}
.rr-source-body mark{background:rgba(255,164,33,.45);color:inherit;padding:0 .1em}
.rr-source-body table{font-size:.9rem}
[data-testid='stChatMessage']{scroll-margin-top:4.5rem}
</style>"""


# Our own fixed script, no document text in it. The question just asked scrolls to the top of the view, where its
# answer is then written below it (a long conversation kept the new answer under the fold, even on a phone), and a
# source a citation jumps to stays where the jump put it. Streamlit's chat sticks to the bottom whenever the page
# grows (while the answer streams, and later, as the Chat tab is shown again or a part of the page is drawn late),
# so what is shown is kept in view until the learner acts (for at most 10 min): from the moment the learner
# scrolls, taps, types or points at a citation, the view is theirs and nothing moves it.
_KEEP_IN_VIEW = """<script>
(() => {
  const w = window;
  if (!w.__rrKeep) {  // once per page
    let userAt = 0;
    let latest = 0;
    const mark = () => { userAt = performance.now(); };
    for (const type of ["pointerdown", "wheel", "touchmove", "keydown"]) {
      w.addEventListener(type, mark, { capture: true, passive: true });
    }
    const chipOf = (e) => (e.target instanceof Element ? e.target.closest("a.rr-cite") : null);
    w.addEventListener("pointermove", (e) => { if (chipOf(e)) mark(); }, { capture: true, passive: true });
    w.addEventListener("focusin", (e) => { if (chipOf(e)) mark(); }, { capture: true });
    const running = () => document.querySelector("[data-testid='stStatusWidgetRunningIcon']") !== null;
    const scroller = () => document.querySelector("[data-testid='stAppScrollToBottomContainer']")
      ?? document.scrollingElement;
    const drawn = (el) => el && el.offsetParent !== null && el.getClientRects().length > 0;
    // Bring find()'s element into view. With `top`, at once, to the top of the view, as soon as it is drawn (asked
    // from another tab, the Chat tab shows when the run ends): waited for up to 10 min. Otherwise once the page has
    // settled (its run over and its height unchanged for 0.3 s), and again whenever the chat's stick to the bottom
    // carries it away (checked every 0.1 s, every 0.25 s once settled for 2 s). A newer keep, the learner, or 10
    // min stop it.
    w.__rrKeep = (find, top, since) => {
      const mine = ++latest;
      let height = -1;
      let growing = 0;
      let settled = 0;
      const check = () => {
        const now = performance.now();
        if (mine !== latest || userAt > since || now - since > 600000) return;
        const el = find();
        if (!drawn(el)) return void setTimeout(check, 50);
        const box = el.getBoundingClientRect();
        const away = box.bottom <= 0 || box.top >= w.innerHeight;
        if (top) return void el.scrollIntoView({ block: "start" });
        const h = scroller().scrollHeight;
        if (h !== height || running()) [height, growing, settled] = [h, now, 0];
        if (now - growing >= 300) {
          if (away) el.scrollIntoView({ block: "start" });
          settled = settled || now;
        }
        setTimeout(check, settled && now - settled >= 2000 ? 250 : 100);
      };
      setTimeout(check, 0);
    };
    w.addEventListener("click", (e) => {  // a citation's source, once the browser has jumped to it
      const id = chipOf(e)?.getAttribute("href")?.slice(1);
      if (id) setTimeout(() => w.__rrKeep(() => document.getElementById(id), false, performance.now()), 0);
    });
  }
  const asked = () => [...document.querySelectorAll("[data-testid='stChatMessageAvatarUser']")].pop()
    ?.closest("[data-testid='stChatMessage']");
  const asking = __ASKING__;
  if (asking) w.__rrAskedAt = performance.now();
  w.__rrKeep(asked, asking, w.__rrAskedAt ?? performance.now());
})();
</script>"""
# When the question is asked: to the top of the view. Once its answer is written: back in view if the page's
# growth carried it away, unless the learner has moved the view since asking.
SCROLL_TO_QUESTION = _KEEP_IN_VIEW.replace("__ASKING__", "true")
KEEP_QUESTION_IN_VIEW = _KEEP_IN_VIEW.replace("__ASKING__", "false")


KIND_LABELS: dict[str, str] = {Kind.ROADMAP: "roadmap", Kind.PAPER_CARD: "paper card", Kind.PAPER: "paper"}


def kind_summary(documents: Mapping[str, Mapping[str, Any]]) -> str:
    """'5 roadmaps (107 chunks), 50 paper cards (51 chunks), 1 paper (12 chunks)' from the ingest record."""
    docs, chunks = count_by_kind(documents, None), count_by_kind(documents, "chunks")
    pages = count_by_kind({k: v for k, v in documents.items() if "pages" in v}, "pages")
    order = [k for k in KIND_LABELS if k in docs] + sorted(k for k in docs if k not in KIND_LABELS)
    parts = []
    for kind in order:
        singular = KIND_LABELS.get(kind, f"{kind} document")
        counted = f"{chunks[kind]} chunks" + (f", {pages[kind]} pages" if pages.get(kind) else "")
        parts.append(f"{docs[kind]} {singular}{'' if docs[kind] == 1 else 's'} ({counted})")
    return ", ".join(parts) or "nothing indexed yet"


def page_link(source: Source) -> str | None:
    """A paper source's PDF opened at its page: 'https://arxiv.org/pdf/2106.09685#page=4'; else its URL."""
    if source.kind == Kind.PAPER and source.page and source.url:
        m = re.match(r"https?://arxiv\.org/(?:abs|pdf)/([\w.]+?)(?:v\d+)?(?:\.pdf)?$", source.url)
        if m:
            return f"https://arxiv.org/pdf/{m.group(1)}#page={source.page}"
    return source.url


def place_line(place: Place) -> str:
    """'The curriculum: 6. Fine-Tuning & Adaptation (section 7 of 19; after 5. Infrastructure & Scaling;
    before 7. Prompt Engineering & In-Context Learning)', plain text."""
    facts = [f"section {place.position} of {place.sections}"] if place.position else []
    facts += [place.stage] if place.stage else []
    facts += [f"after {place.before}"] if place.before else []
    facts += [f"before {place.after}"] if place.after else []
    where = place.section or place.top or "its introduction"
    return f"{place.roadmap[:1].upper()}{place.roadmap[1:]}: {where}" + (f" ({'; '.join(facts)})" if facts else "")
