"""HTML pages to pieces, with selectolax (lexbor).

Block elements become paragraphs, inline elements flow into them, `<br>` is a line
break. Page furniture (script, style, nav, header, footer, aside) is dropped, and so
are rows of bare links. Bible verses ("1:1 In the beginning ...") become `verse`
pieces with their locator. The page's `<title>`, author `<meta>` and first `<h1>`
describe the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from embeddings.documents import DocumentMeta
from embeddings.ingest.cleanup import is_debris
from embeddings.ingest.dates import normalise_date
from embeddings.ingest.footnotes import marker_id
from embeddings.ingest.gutenberg import trim_pieces
from embeddings.ingest.languages import language_code
from embeddings.ingest.pieces import Piece
from embeddings.ingest.verses import numbered_verses

_DROP = frozenset(
    {
        "script",
        "style",
        "nav",
        "header",
        "footer",
        "aside",
        "noscript",
        "template",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "video",
        "audio",
        "map",
        "form",
        "button",
        "select",
        "textarea",
        "head",
        "title",
    }
)
# Page furniture outside nav, header, footer and aside, known by its class or id: cookie
# and consent banners, share and follow buttons, newsletter boxes, comment threads. A
# cookie banner was a passage, ranked strong for "does this site use cookies". Whole
# words of the class or id only ("share-bar", "cookie_notice"; not "shareholders").
_FURNITURE = re.compile(
    r"(?:^|[\s_-])(?:cookies?|consent|gdpr|share|sharing|newsletter|subscribe"
    r"|comments?|disqus|popup|modal|advert|advertisement|sponsored|breadcrumbs?)(?:$|[\s_-])",
    re.I,
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = frozenset(
    {
        "p",
        "li",
        "blockquote",
        "dd",
        "dt",
        "pre",
        "div",
        "section",
        "article",
        "main",
        "body",
        "html",
        "center",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "ul",
        "ol",
        "dl",
        "figure",
        "figcaption",
        "caption",
        "address",
        "fieldset",
        "details",
        "summary",
        "hr",
        "hgroup",
        "menu",
    }
)
_WHITESPACE = re.compile(r"[ \t\n\r\f\u00a0]+")
_ALNUM = re.compile(r"[^\W_]")
_BACK_LINK = re.compile(r"[↩↑^]\ufe0e?\ufe0f?")
# Pandoc and similar tools mark footnote definitions by id: <li id="fn2">.
_NOTE_ID = re.compile(r"(?:fn|footnote|note)[-:_]?(\d{1,3})", re.I)
# <title>s that name a file rather than a work ("Book 01"): the <h1> is better.
_GENERIC_TITLE = re.compile(
    r"(?:book|chapter|part|page|untitled|document|index|home)?[\s\d._-]*", re.I
)
_AUTHOR_META = ("author", "dc.creator", "dcterms.creator", "citation_author")
_DATE_META = (
    "date",
    "dc.date",
    "dcterms.date",
    "citation_publication_date",
    "article:published_time",
)
_URL_META = ("og:url",)


def read_html_pieces(text: str) -> tuple[list[Piece], DocumentMeta]:
    """The page's pieces in reading order and what the page says about itself."""
    tree = LexborHTMLParser(text)
    walker = _Walker()
    root = tree.body if tree.body is not None else tree.root
    if root is not None:
        walker.walk(root)
    pieces = _verses(walker.pieces)
    pieces, gutenberg = trim_pieces(pieces)
    # The first <h1> is the page's title, not a section, unless the text has begun above
    # it (a preface) and the <title> names the page: then it is a section. A line or two
    # above it (a byline, a kicker) has not begun the text.
    h1 = next((p for p in pieces if p.heading == 1), None)
    if h1 is not None and _named_by_title_element(tree):
        before = sum(len(p.text) for p in pieces[: pieces.index(h1)] if _is_text(p))
        if before > KICKER_CHARS:
            h1 = None
    if h1 is not None:
        pieces = [p for p in pieces if p is not h1]
    own = _head_meta(tree, h1.text if h1 is not None else "")
    if gutenberg is not None:
        own = gutenberg.merged_over(own)
    return pieces, own


def _verses(pieces: list[Piece]) -> list[Piece]:
    """Numbered verses, when the page is made of them (one "10:30 ..." line is a time)."""
    matches = numbered_verses(pieces)
    if matches is None:
        return pieces
    for piece, m in matches:
        piece.kind = "verse"
        piece.locator = f"{m.group('chapter')}:{m.group('verse')}"
        piece.text = m.group("text")
    return pieces


def _head_meta(tree: LexborHTMLParser, h1: str) -> DocumentMeta:
    title_node = tree.css_first("title")
    title = " ".join(title_node.text().split()) if title_node is not None else ""
    if h1 or _GENERIC_TITLE.fullmatch(title):
        title = h1
    metas: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        name = (attrs.get("name") or attrs.get("property") or "").lower()
        content = " ".join((attrs.get("content") or "").split())
        if name and content:
            metas.setdefault(name, content)
    canonical = tree.css_first('link[rel="canonical"]')
    url = (canonical.attributes.get("href") or "") if canonical is not None else ""
    url = url or next((metas[k] for k in _URL_META if k in metas), "")
    html_node = tree.css_first("html")
    lang = (html_node.attributes.get("lang") or "") if html_node is not None else ""
    return DocumentMeta(
        title=title,
        author=next((metas[k] for k in _AUTHOR_META if k in metas), ""),
        date=normalise_date(next((metas[k] for k in _DATE_META if k in metas), "")),
        url=url,  # a relative link goes in `metadata.resolve`, which keeps web addresses
        language=language_code(lang),
    )


@dataclass
class _Walker:
    """Walks the tree without recursion: real pages nest deeper than Python's stack."""

    pieces: list[Piece] = field(default_factory=list)
    # The paragraph being collected: (kind, text) with kind "text", "link" or "marker".
    segments: list[tuple[str, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    n_links: int = 0
    in_link: int = 0
    in_pre: int = 0
    heading: int = 0
    note_id: str = ""

    def walk(self, root: LexborNode) -> None:
        stack: list[tuple[LexborNode, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            if leaving:
                self._leave(node)
            elif self._enter(node):
                stack.append((node, True))
                children = list(node.iter(include_text=True))
                stack.extend((child, False) for child in reversed(children))
        self._flush()

    def _enter(self, node: LexborNode) -> bool:
        """Handle an opening node; True to walk into its children."""
        tag = node.tag or ""
        if tag == "-text":
            self._add_text(node.text_content or "")
            return False
        if tag.startswith("-") or tag in _DROP:
            return False
        marks = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        if tag != "body" and _FURNITURE.search(marks):
            return False
        if tag == "br":
            self.segments.append(("text", "\n"))
            return False
        if tag == "img":
            return False
        if tag in ("a", "sup") and self._marker(node):
            return False
        if tag in _HEADINGS:
            self._flush()
            self.heading = _HEADINGS[tag]
        elif tag in _BLOCKS:
            self._flush()
            if tag == "pre":
                self.in_pre += 1
            m = _NOTE_ID.fullmatch(node.attributes.get("id") or "")
            if tag == "li" and m is not None:
                self.note_id = m.group(1)
        elif tag == "a":
            href = (node.attributes.get("href") or "").strip()
            if _BACK_LINK.fullmatch(node.text(deep=True).strip()):
                return False  # "↩" back to the reference: not text
            if href:
                # In-page links count as links for spotting navigation rows (the KJV's
                # chapter numbers) but are not worth keeping as URLs.
                self.n_links += 1
                self.in_link += 1
                if not href.startswith("#"):
                    self.links.append(href)
        return True

    def _leave(self, node: LexborNode) -> None:
        tag = node.tag or ""
        if tag in _HEADINGS:
            self._flush()
            self.heading = 0
        elif tag in _BLOCKS:
            self._flush()
            if tag == "pre":
                self.in_pre -= 1
            if tag == "li":
                self.note_id = ""
        elif tag == "a" and self.in_link and (node.attributes.get("href") or "").strip():
            self.in_link -= 1

    def _marker(self, node: LexborNode) -> bool:
        """A footnote reference (`<a href="#n2">[2*]</a>`): keep it as plain "[2*]"."""
        anchor = node if node.tag == "a" else node.css_first("a")
        if anchor is None or "#" not in (anchor.attributes.get("href") or ""):
            return False
        note = marker_id(node.text(deep=True))
        if note is None:
            return False
        self.segments.append(("marker", f"[{note}]"))
        self.n_links += 1  # a row of nothing but numbered links is navigation
        return True

    def _add_text(self, text: str) -> None:
        if not self.in_pre:
            text = _WHITESPACE.sub(" ", text)
        if text:
            self.segments.append(("link" if self.in_link else "text", text))

    def _flush(self) -> None:
        segments, links, n_links = self.segments, self.links, self.n_links
        self.segments, self.links, self.n_links = [], [], 0
        text = "".join(s for _, s in segments)
        # Preformatted text keeps its spacing; elsewhere spaces around a <br> go.
        text = text.strip("\n") if self.in_pre else re.sub(r" *\n *", "\n", text).strip()
        if not text.strip():
            return
        plain = "".join(s for kind, s in segments if kind == "text")
        linked = "".join(s for kind, s in segments if kind != "text")
        self.pieces.append(
            Piece(
                text,
                heading=self.heading,
                kind="footnote" if self.note_id and not self.heading else "text",
                note_id=self.note_id if not self.heading else "",
                links=tuple(links),
                n_links=n_links,
                link_only=bool(_ALNUM.search(linked)) and not _ALNUM.search(plain),
                verbatim=bool(self.in_pre),
            )
        )
        if not self.heading:
            self.note_id = ""  # one definition per footnote item


KICKER_CHARS = 200  # text above an <h1> that still leaves it the title: a byline, a kicker


def _named_by_title_element(tree: LexborHTMLParser) -> bool:
    """Whether the page's <title> names it, rather than a file ("Book 01") or nothing."""
    node = tree.css_first("title")
    title = " ".join(node.text().split()) if node is not None else ""
    return bool(title) and not _GENERIC_TITLE.fullmatch(title)


def _is_text(piece: Piece) -> bool:
    """A paragraph a reader reads: not a heading, not navigation or a banner."""
    return not piece.is_heading and not is_debris(
        piece.text, link_only=piece.link_only, n_links=piece.n_links
    )
