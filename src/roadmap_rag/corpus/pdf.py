"""Page texts of a PDF to clean text a learner can trust.

What comes out, per page: paragraphs of the paper's prose (line-end hyphenation joined, lines reflowed),
with its section titles as markdown headings so the chunker follows the paper's structure:
``# 4 Our Method``, ``## 4.1 Low-Rank-Parametrized Update Matrices``, ``# Appendix A Hyperparameters``,
``## A.1 RoBERTa``.

What is left out, and counted by reason (``PaperText.dropped``):

- running headers and footers, and page numbers;
- a table of contents ("1 Introduction 2" lines), whose titles would otherwise read as the sections;
- the bibliography: from "References" up to the appendix (or the end). Its entries are kept apart
  (``PaperText.references``) as what the paper cites, never as answerable text;
- figure and table debris: axis labels, tick values and table cells, i.e. lines that are mostly numbers
  or runs of short label lines. Captions ("Figure 3: ...", "Table 2: ...") are kept as their own paragraphs.

Ligatures and math glyphs are normalised where the meaning is safe (``ﬁ`` to ``fi``, the minus sign ``−`` to
``-``, math italic letters to plain ones); private-use glyphs (pieces of large brackets) are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE)
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,2})\.?\s+(\S.*)$")
_LETTERED = re.compile(r"^(?:Appendix\s+|APPENDIX\s+)?([A-H])((?:\.\d{1,2}){0,2})\.?:?\s+(\S.*)$")
_UNNUMBERED = re.compile(
    r"^(abstract|introduction|related work|background|method|methods|experiments|results|discussion|"
    r"conclusions?|limitations|acknowledge?ments?)$",
    re.IGNORECASE,
)
_REFERENCES = re.compile(r"^(?:\d{1,2}\.?\s+)?(references|bibliography|works cited)$", re.IGNORECASE)
_APPENDIX = re.compile(r"^(?:appendix|appendices|supplementary material(?: for\b.*)?|supplemental material)$", re.I)
_CONTENTS = re.compile(r"^(?:table of )?contents$", re.IGNORECASE)
# "3 Empirical Results and Basic Power Laws 7", "A Summary of Power Laws . . . 20"
_CONTENTS_LINE = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*|[A-H](?:\.\d{1,2})*|Appendices)\b.*?[\s.]\d{1,3}$")
_CAPTION = re.compile(r"^(?:Figure|Fig\.|Table)\s+\d{1,2}[:.]")
_INITIALS = re.compile(r",\s*[A-Z]\.|\bet al\b|\b(?:19|20)\d\d\b")
_WORD = re.compile(r"^[(\"“']?[A-Za-z][A-Za-z'’-]+[)\"”',.;:?!]*$")
_MINOR = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "via",
        "vs",
        "with",
        "without",
    ]
)
_EDGE = 2  # lines at the top and bottom of a page where running headers/footers live
_LABEL_RUN = 3  # this many short label lines in a row are a figure's or a table's, not prose

# Safe glyph repairs: ligatures, the math minus and asterisk, the replacement and private-use characters.
_GLYPHS = str.maketrans(
    {"\u2212": "-", "\u2217": "*", "\ufffd": "", "\u00a0": " ", "ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl"}
)
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_MATH_ALPHANUMERIC = re.compile("[\U0001d400-\U0001d7ff]")


@dataclass
class PaperText:
    """A PDF's text as the index reads it."""

    pages: list[str]  # the cleaned text of each page, same count and order as the input
    references: list[str] = field(default_factory=list)  # the bibliography's entries, in order
    dropped: Counter[str] = field(default_factory=Counter)  # lines left out, by reason


def normalise_glyphs(text: str) -> str:
    text = _PRIVATE_USE.sub("", text.translate(_GLYPHS))
    return _MATH_ALPHANUMERIC.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


def _shape(line: str) -> str:
    """A line with its digits masked: 'Page 3' and 'Page 4' are the same running footer."""
    return re.sub(r"\d+", "#", line.strip().casefold())


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Shapes of short lines that open or close at least half the pages (three pages or more)."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edges = {_shape(x) for x in lines[:_EDGE] + lines[-_EDGE:] if x.strip() and len(x) <= 80}
        counts.update(edges)
    return {shape for shape, n in counts.items() if n >= max(3, len(pages) / 2)}


def _titlish(title: str, strict: bool = False) -> bool:
    """A section title: short, starts upper-case, no closing punctuation, no author initials or year; in
    Title Case or CAPITALS (or, unless ``strict``, a short sentence-case title like "Related work")."""
    words = title.split()
    if not words or len(words) > 12 or not title[0].isupper() or title[-1] in ".,;-":
        return False
    if _INITIALS.search(title) or sum(c.isalpha() for c in title) < 0.6 * len(title.replace(" ", "")):
        return False
    letters = [c for c in title if c.isalpha()]
    if all(c.isupper() for c in letters):
        return True
    significant = [w for i, w in enumerate(words) if i == 0 or w.lower() not in _MINOR]
    if sum(w[0].isupper() or not w[0].isalpha() for w in significant) >= len(significant) - (len(words) > 4):
        return True
    return not strict and len(words) <= 8


@dataclass
class _Outline:
    """Where the reader is in the paper: the last section numbers, the bibliography, the appendix."""

    top: int = 0  # last top-level section number of the body
    letter: str = ""  # last appendix letter
    in_references: bool = False
    in_appendix: bool = False

    def heading(self, line: str) -> tuple[int, str] | None:
        """(level, title) when ``line`` opens a section; updates the position."""
        s = re.sub(r"\s+\d{1,3}$", "", line) if re.search(r"[A-Za-z]{3}\s+\d{1,3}$", line) else line
        if _REFERENCES.match(s):
            self.in_references = True
            return 1, "References"
        if _APPENDIX.match(s):
            self.in_references, self.in_appendix = False, True
            return 1, "Appendix"
        if (m := _LETTERED.match(s)) and (found := self._lettered(m, s)):
            return found
        if self.in_references or self.in_appendix:
            return None
        if _UNNUMBERED.match(s) and (self.top == 0 or s.lower().startswith("acknowledg")):
            return 1, _title_case(s)
        if (m := _NUMBERED.match(s)) and _titlish(m.group(2)):
            numbers = [int(n) for n in m.group(1).split(".")]
            # In sequence, allowing for one title the text lost ("4.1" right after "3.2" opens section 4).
            fits = self.top <= numbers[0] <= self.top + (2 if len(numbers) == 1 else 1)
            if fits:
                self.top = numbers[0]
                return len(numbers), f"{m.group(1)} {_title_case(m.group(2))}"
        return None

    def _lettered(self, m: re.Match[str], s: str) -> tuple[int, str] | None:
        letter, subs, title = m.group(1), m.group(2), m.group(3)
        appendix_like = self.in_appendix or self.in_references or s.lower().startswith("appendix")
        if not _titlish(title, strict=not appendix_like):
            return None
        if subs:
            fits = letter == self.letter
        else:
            fits = (not self.letter and letter == "A") or (bool(self.letter) and ord(letter) == ord(self.letter) + 1)
        if not fits or (not appendix_like and letter != "A"):
            return None
        self.letter, self.in_references, self.in_appendix = letter, False, True
        title = _title_case(title)
        return (1, f"Appendix {letter} {title}") if not subs else (1 + subs.count("."), f"{letter}{subs} {title}")


def _title_case(title: str) -> str:
    """'4 OUR METHOD' reads as '4 Our Method'; acronyms stay ('GPT-3', 'LORA' cannot be told from a word,
    so a title in capitals keeps words of up to four letters that hold a digit or sit in the acronym list)."""
    if any(c.islower() for c in title):
        return title
    out = []
    for i, word in enumerate(title.split()):
        lower = word.lower()
        if any(c.isdigit() for c in word) or lower.strip("():,?") in _ACRONYMS:
            out.append(word)
        elif i and lower in _MINOR:
            out.append(lower)
        else:
            out.append("-".join(part[:1].upper() + part[1:] for part in lower.split("-")))
    return " ".join(out)


_ACRONYMS = frozenset(
    [
        "gpt",
        "nlp",
        "glue",
        "lora",
        "bert",
        "roberta",
        "deberta",
        "flan",
        "qa",
        "mlp",
        "llm",
        "llms",
        "rnn",
        "lstm",
        "cnn",
        "ptb",
        "wsc",
    ]
)


def _is_debris(line: str) -> bool:
    """Mostly numbers and symbols: a table row, tick labels, an equation's remains."""
    tokens = line.split()
    if len(tokens) < 3:
        return False
    words = sum(bool(_WORD.match(t)) for t in tokens)
    return words < 0.4 * len(tokens)


def _ends_sentence_of(line: str, kept: list[str]) -> bool:
    """A formula-heavy line that finishes the sentence above ("... with A=16, Total Parameters=340M).")."""
    above = next((x for x in reversed(kept) if x), "")
    return len(above) > 50 and above[-1] not in ".:" and line[-1] in ".,;"


def _is_label(line: str) -> bool:
    """A short line that is not a sentence nor shaped like a section title: a figure's or a table's label."""
    if len(line) >= 30 or line.endswith((".", ":", "?", "!", "-", ",")) or _CAPTION.match(line):
        return False
    if line.split()[-1].lower() in _MINOR:
        return False  # "trained weights frozen and": a sentence going on
    if _REFERENCES.match(line) or _APPENDIX.match(line) or _UNNUMBERED.match(line):
        return False
    m = _NUMBERED.match(line) or _LETTERED.match(line)
    return not (m and _titlish(m.group(m.lastindex or 0)))


def _contents_page(lines: list[str]) -> bool:
    return (
        any(_CONTENTS.match(x.strip()) for x in lines)
        and sum(bool(_CONTENTS_LINE.match(x.strip())) for x in lines) >= 4
    )


class _Spelling:
    """How the paper writes its words, to join one broken at a line's end: 'adap' + 'tation' -> 'adaptation',
    'Dur' + 'ing' -> 'During'. The paper's own spelling elsewhere decides ('fine-tuning', not 'finetuning');
    a word it never writes whole keeps its hyphen in a compound ('left-to' + 'right', 'English' +
    'to-German'), and so do two words it writes on their own ('lower' + 'level' -> 'lower-level', never
    'lowerlevel')."""

    def __init__(self, page_texts: list[str]) -> None:
        self.whole = " ".join(page_texts).casefold()
        self.words = Counter(re.findall(r"[^\W\d_]+", self.whole))

    def join(self, before: str, after: str) -> str:
        """``before`` (up to the break, its hyphen removed) and ``after``, with the hyphen or without."""
        left, right = before.rsplit(" ", 1)[-1], after.split(" ", 1)[0]
        head, tail = re.sub(r"^\W+", "", left).casefold(), re.sub(r"\W+$", "", right).casefold()
        hyphenated, joined = self.whole.count(f"{head}-{tail}"), self.whole.count(f"{head}{tail}")
        words = all(len(w) > 2 and self.words[w] > 1 for w in (head, tail))
        compound = "-" in left or "-" in right or head.isdigit() or words  # '2' + 'layer', 'lower' + 'level'
        hyphen = hyphenated > joined if hyphenated or joined else compound
        return f"{before}-{after}" if hyphen else before + after


# PDFium marks a word hyphenated at a line's end with U+FFFE and no line break ("adap\ufffetation").
_SOFT_HYPHEN = re.compile(r"(\S*)\ufffe\s*(\S*)")


def read_paper(page_texts: list[str]) -> PaperText:
    """The paper's text page by page, with its bibliography apart and what was dropped counted."""
    spelling = _Spelling(page_texts)
    joined = [_SOFT_HYPHEN.sub(lambda m: spelling.join(m.group(1), m.group(2)), text) for text in page_texts]
    pages = [[normalise_glyphs(line.rstrip()) for line in text.split("\n")] for text in joined]
    running = _running_lines(pages)
    outline = _Outline()
    result = PaperText(pages=[])
    for lines in pages:
        kept = _kept_lines(lines, running, result.dropped)
        result.pages.append(_page(kept, outline, result, spelling))
    return result


def clean_pages(page_texts: list[str]) -> list[str]:
    """Cleaned text of each page (same count and order as ``page_texts``), bibliography left out."""
    return read_paper(page_texts).pages


def _kept_lines(lines: list[str], running: set[str], dropped: Counter[str]) -> list[str]:
    """The page's lines without running lines, page numbers, contents and figure or table debris."""
    contents = _contents_page(lines)
    kept: list[str] = []
    for i, line in enumerate(lines):
        s = line.strip()
        at_edge = i < _EDGE or i >= len(lines) - _EDGE
        if not s:
            kept.append("")
        elif at_edge and (_shape(s) in running or _PAGE_NUMBER.match(s)):
            dropped["running header, footer or page number"] += 1
        elif contents and (_CONTENTS.match(s) or _CONTENTS_LINE.match(s)):
            dropped["table of contents"] += 1
        elif _is_debris(s) and not _ends_sentence_of(s, kept):
            dropped["figure or table debris"] += 1
        else:
            kept.append(s)
    # Runs of short label lines (a figure's axis names, a table's header cells).
    out: list[str] = []
    run: list[str] = []
    for s in [*kept, ""]:
        if s and _is_label(s):
            run.append(s)
            continue
        if len(run) >= _LABEL_RUN:
            dropped["figure or table debris"] += len(run)
        else:
            out.extend(run)
        run = []
        out.append(s)
    return out[:-1]


def _page(lines: list[str], outline: _Outline, result: PaperText, spelling: _Spelling) -> str:
    """One page's kept lines as headings and paragraphs; bibliography lines go to ``result.references``."""
    texts = [x for x in lines if x]
    width = sorted(len(x) for x in texts)[len(texts) // 2] if texts else 0
    paragraphs: list[str] = []
    current = ""
    for s in lines:
        if not s:
            current = _close(current, paragraphs)
            continue
        if (found := outline.heading(s)) is not None:
            level, title = found
            current = _close(current, paragraphs)
            if title != "References":
                paragraphs.append(f"{'#' * level} {title}")
            continue
        if outline.in_references:
            _add_reference(s, result.references)
            result.dropped["bibliography"] += 1
            continue
        if _CAPTION.match(s):
            current = _close(current, paragraphs)  # a caption is its own paragraph
        if current.endswith("-") and s[:1].islower():
            current = spelling.join(current[:-1], s)  # "adap-" + "tation"
        else:
            current = f"{current} {s}" if current else s
        if s.endswith((".", "!", "?", ":")) and len(s) < 0.8 * width:
            current = _close(current, paragraphs)  # a short line ending a sentence ends a paragraph
    _close(current, paragraphs)
    return "\n".join(paragraphs)


_ENTRY_START = re.compile(r"^(?:\[\d+\]|\d{1,3}\.\s|[A-Z][A-Za-z'’-]+,\s+(?:[A-Z]\.|[A-Z][a-z]+))")


def _add_reference(line: str, references: list[str]) -> None:
    """Bibliography lines to entries: a line that opens like an entry ("[12]", "Hu, E.", "Edward J. Hu,
    ...") after a finished one starts the next."""
    last = references[-1] if references else ""
    if not last or (last.endswith(".") and (_ENTRY_START.match(line) or line[:1].isupper())):
        references.append(line)
    elif last.endswith("-") and line[:1].islower():
        references[-1] = last[:-1] + line
    else:
        references[-1] = f"{last} {line}"


# A footnote mark glued to the end of a sentence ('"intrinsic rank".6 To', 'to 35MB)4. This'): not text.
_FOOTNOTE_AFTER = re.compile(r"([A-Za-z][\"”’)]?[.,;:!?][\"”’)]?)\d{1,2}(?=\s+[A-Z(])")
_FOOTNOTE_BEFORE = re.compile(r"([A-Za-z][)\"”’])\d(?=[.,;:]\s)")


def _close(current: str, paragraphs: list[str]) -> str:
    if current:
        paragraphs.append(_FOOTNOTE_BEFORE.sub(r"\1", _FOOTNOTE_AFTER.sub(r"\1", current)))
    return ""
