"""Markdown in, safe HTML out: the one door every piece of author Markdown goes through.

The pipeline parses with markdown-it-py (CommonMark plus the GFM extensions as the GFM
spec 0.29 and GitHub render them: tables, strikethrough, extended autolinks and task
lists; footnotes and heading anchors), highlights fenced code with Pygments, and
sanitizes the result with an nh3 allowlist. Every step is linear in the size of its
input; the few inputs that would still blow up (deep nesting, output amplification) are
refused with a ``ValueError`` an author can act on.
"""

import itertools
import math
import re
import string
import textwrap
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape

import nh3
from django.utils.text import slugify
from markdown_it import MarkdownIt
from markdown_it.common.utils import isLinkClose, isLinkOpen
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block import table as parse_table
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from posts import images

# Bump when the HTML this module produces changes: stored posts are then re-rendered
# by `manage.py migrate` (and `manage.py rerender_posts` does it on demand).
VERSION = "3"

# Pygments is fast on ordinary code but slow on huge blocks and very long lines;
# above this size a block is shown as plain, escaped text.
MAX_HIGHLIGHTED_BLOCK_CHARS = 20_000
# Containers (quotes, lists) nested deeper than this would be silently dropped by
# markdown-it, so they are refused instead.
MAX_NESTING = 20
# Wide tables and long references reused many times can turn a few KB of Markdown into
# many MB of HTML; refuse before rendering anything that large.
MAX_OUTPUT_CHARS = 5_000_000
# Short rows are padded with empty cells, so a table's size is not bounded by its source.
MAX_TABLE_CELLS = 50_000
# The worst inputs cost ~50 µs per character to parse: this cap keeps any save well
# inside the server's request timeout.
MAX_SOURCE_BYTES = 256 * 1024
HIGHLIGHT_STYLES = {"light": "default", "dark": "github-dark"}
WORDS_PER_MINUTE = 230
EXCERPT_CHARS = 300

LINK_REL = "noopener noreferrer nofollow"
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd", "label", "li",
    "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small",
    "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "time", "tr", "u", "ul", "var", "wbr",
}  # fmt: skip
# Elements whose content is code or markup, not prose: removed together with the tag.
DROPPED_WITH_CONTENT = {
    "script", "style", "iframe", "object", "embed", "noscript", "noembed", "noframes",
    "template", "textarea", "select", "title", "xmp", "svg", "math", "frameset",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir"},
    "a": {"href", "aria-label"},
    "blockquote": {"cite"},
    "col": {"span"},
    "colgroup": {"span"},
    "del": {"cite", "datetime"},
    "details": {"open"},
    "img": {"src", "alt", "width", "height", "srcset", "sizes"},
    "input": {"checked", "disabled", "aria-label"},
    "ins": {"cite", "datetime"},
    "li": {"value"},
    "ol": {"start", "reversed", "type"},
    "q": {"cite"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
}
# Every image loads lazily, and the only form control a post may hold is a task list's
# checkbox. (At most one forced attribute per tag: nh3 writes several in an arbitrary
# order, and rendering must be deterministic.)
FORCED_ATTRIBUTES = {"img": {"loading": "lazy"}, "input": {"type": "checkbox"}}

# Classes the pipeline itself emits, and the only ones an author may use.
PIPELINE_CLASSES = {
    "highlight", "header-anchor", "contains-task-list", "task-list-item",
    "task-list-item-checkbox", "footnotes", "footnotes-sep", "footnotes-list",
    "footnote-item", "footnote-ref", "footnote-backref", "align-left", "align-center",
    "align-right", "markdown-alert", "markdown-alert-title", "markdown-alert-note",
    "markdown-alert-tip", "markdown-alert-important", "markdown-alert-warning",
    "markdown-alert-caution",
} | {css_class for css_class in STANDARD_TYPES.values() if css_class}  # fmt: skip
LANGUAGE_CLASS = re.compile(r"language-[\w+#.-]{1,40}")
# Where the storage serves uploads from: this site, or a storage service over HTTP(S).
UPLOAD_URL_STARTS = ("/", "https://", "http://")
# Lowercase only: the site's own templates use capitalised ids, which posts cannot clash with.
SAFE_ID = re.compile(r"[\w-]{1,120}")

# GFM's extended autolinks are addresses written without <>. A www. one starts a line or
# follows whitespace or one of these characters.
AUTOLINK_FOLLOWS = frozenset(" \t\n\v\f\r*_~(")
# Left off the end of an autolink. The spec names the first eight; cmark-gfm, the renderer
# GitHub runs, also leaves off quotes, so a quoted address is linked without them.
AUTOLINK_TRAILING = frozenset("?!.,:*_~'\"")
AUTOLINK_SCHEMES = ("https", "http")
# No host name is longer (RFC 1035); the cap also keeps scanning linear when many "www."
# follow each other inside one long run that is not a domain.
MAX_DOMAIN_CHARS = 253
ASCII_ALPHANUMERIC = frozenset(string.ascii_letters + string.digits)
EMAIL_LOCAL_PART = ASCII_ALPHANUMERIC | frozenset(".+-_")
# Host characters: neither whitespace nor punctuation, except "-", "_" and "." (non-ASCII
# punctuation is cut off after matching).
HOST_CHARACTERS = re.compile(r"[^\x00-\x20!-,/:-@\[-\^`{-~\s]*")
HOST_PUNCTUATION = frozenset("-_.")
# After the domain, an autolink runs to the next whitespace or "<".
AUTOLINK_PATH = re.compile(r"[^ \t\n\v\f\r<]*")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class ShownImage:
    """What a page needs to lay out an uploaded image before it loads."""

    width: int
    height: int
    srcset: str


# Given the sources of a document's images, the uploaded ones among them by source.
ImageLookup = Callable[[list[str]], dict[str, ShownImage]]


@dataclass(frozen=True)
class Rendered:
    """The rendered form of one Markdown document."""

    html: str
    toc: list[Heading] = field(default_factory=list)
    excerpt: str = ""
    word_count: int = 0

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.word_count)


class MarkdownTooComplex(ValueError):
    """The document cannot be rendered safely; the message tells the author why."""


def reading_minutes(word_count: int) -> int:
    return max(1, math.ceil(word_count / WORDS_PER_MINUTE))


def render_markdown(source: str) -> str:
    """Render author Markdown to sanitized HTML."""
    return render(source).html


def render(source: str, shown_images: ImageLookup | None = None) -> Rendered:
    """Render author Markdown to sanitized HTML, with its outline and plain-text facts.

    ``shown_images`` tells the size and smaller copies of uploaded images, which the
    HTML then carries (``width``, ``height``, ``srcset`` and ``sizes``).
    """
    check_source_size(source)
    env: dict = {"shown_images": shown_images}
    tokens = _markdown.parse(source, env)
    html = _markdown.renderer.render(tokens, _markdown.options, env)
    return Rendered(
        html=sanitize(html),
        toc=_table_of_contents(tokens),
        excerpt=_excerpt(tokens),
        word_count=_word_count(tokens),
    )


def plain_text(source: str) -> str:
    """The words of some Markdown without its syntax, blocks joined by a space: for text
    shown out of its context, such as the part of a body around a search match."""
    texts = []
    for token in _markdown.parse(source, {"shown_images": None}):
        if token.type == "inline":
            texts.append(_plain_text(token))
        elif token.type in ("fence", "code_block"):
            texts.append(token.content.strip())
    return " ".join(text for text in texts if text)


def check_source_size(source: str) -> None:
    size = len(source.encode())
    if size > MAX_SOURCE_BYTES:
        raise MarkdownTooComplex(
            f"This post is {size // 1024:,} KB; the limit is {MAX_SOURCE_BYTES // 1024} KB. "
            "Split it into several posts."
        )


def sanitize(html: str) -> str:
    """Keep only the allowlisted tags, attributes, classes and URL schemes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        set_tag_attribute_values=FORCED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def highlight_stylesheet(style: str) -> str:
    """The CSS for highlighted code in one Pygments style (light or dark)."""
    formatter = HtmlFormatter(style=HIGHLIGHT_STYLES[style])
    return (
        f"/* Pygments style {HIGHLIGHT_STYLES[style]!r}. "
        "Written by `manage.py write_highlight_css`: do not edit. */\n"
        f"{formatter.get_style_defs('.highlight')}\n"
    )


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [
            name
            for name in value.split()
            if name in PIPELINE_CLASSES or LANGUAGE_CLASS.fullmatch(name)
        ]
        return " ".join(kept) or None
    if attribute == "id":
        return value if SAFE_ID.fullmatch(value) and value == value.lower() else None
    if attribute == "srcset":
        return value if all(map(_is_upload_candidate, value.split(","))) else None
    if attribute == "sizes":
        return value if value == images.SIZES else None
    return value


def _is_upload_candidate(candidate: str) -> bool:
    """A srcset entry naming one of the smaller copies made of an uploaded image."""
    url, _, descriptor = candidate.strip().rpartition(" ")
    stored = images.STORED_NAME.search(url)
    if stored is None or stored.end() != len(url) or not url.startswith(UPLOAD_URL_STARTS):
        return False
    # A smaller copy's name says its width; the full-size image's does not.
    width = stored["width"] or "[0-9]{1,5}"
    return re.fullmatch(f"{width}w", descriptor) is not None


def _highlight(code: str, language: str, attrs: str) -> str:
    if not language or len(code) > MAX_HIGHLIGHTED_BLOCK_CHARS:
        return ""
    lexer = _lexer(language.lower())
    if lexer is None:
        return ""
    body = highlight(code, lexer, _code_formatter)
    return f'<pre class="highlight"><code class="language-{escape(language)}">{body}</code></pre>\n'


_code_formatter = HtmlFormatter(nowrap=True)


@lru_cache(maxsize=256)
def _lexer(language: str):
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return None


def _refuse_deep_nesting(tokenize):
    def tokenize_within_limit(state, start_line, end_line):
        if state.level >= MAX_NESTING and start_line < end_line:
            raise MarkdownTooComplex(
                f"Quotes or lists are nested more than {MAX_NESTING} levels deep. "
                "Flatten the deepest part of the post."
            )
        tokenize(state, start_line, end_line)

    return tokenize_within_limit


def _table_within_limit(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    tokens_before = len(state.tokens)
    matched = parse_table(state, start_line, end_line, silent)
    if matched and not silent:
        # Each cell is three tokens: open, content, close.
        cells = state.env.get("table_cells", 0) + (len(state.tokens) - tokens_before) // 3
        state.env["table_cells"] = cells
        if cells > MAX_TABLE_CELLS:
            raise MarkdownTooComplex(
                f"The tables in this post have more than {MAX_TABLE_CELLS:,} cells. "
                "Rows shorter than the header count too: check the column counts, or "
                "link to the data instead."
            )
    return matched


def _autolink_www(state: StateInline, silent: bool) -> bool:
    """GFM's extended www autolink: `www.` and a valid domain, linked over http."""
    start, src = state.pos, state.src
    if silent or state.linkLevel or not src.startswith("www.", start):
        return False
    if start > 0 and src[start - 1] not in AUTOLINK_FOLLOWS:
        return False
    return _push_autolink(state, start, start + len("www."), "http://")


def _autolink_url(state: StateInline, silent: bool) -> bool:
    """GFM's extended url autolink, found at the colon of `http://` or `https://`."""
    colon, src = state.pos, state.src
    if silent or state.linkLevel or not src.startswith("://", colon):
        return False
    # The scheme is the plain text just before the colon; like cmark-gfm, no letter may
    # precede it, but punctuation may (a quoted or bracketed address is linked).
    pending_end = state.pending[-len("https") - 1 :].lower()
    scheme = next((name for name in AUTOLINK_SCHEMES if pending_end.endswith(name)), None)
    if scheme is None:
        return False
    start = colon - len(scheme)
    if start > 0 and src[start - 1] in string.ascii_letters:
        return False
    return _push_autolink(state, start, colon + len("://"), "")


def _push_autolink(state: StateInline, start: int, domain_start: int, scheme: str) -> bool:
    """Link the address at `start` if a valid domain follows `domain_start`."""
    src, limit = state.src, state.posMax
    domain_end = _domain_end(src, domain_start, limit)
    if domain_end is None:
        return False
    end = _autolink_end(src, start, AUTOLINK_PATH.match(src, domain_end, limit).end())
    if end <= domain_start:
        return False
    address = src[start:end]
    href = state.md.normalizeLink(scheme + address)
    if not state.md.validateLink(href):
        return False
    if state.pos > start:
        # The scheme was already taken as plain text: it becomes the link's.
        state.pending = state.pending[: start - state.pos]
    _push_link(state.push, href, address)
    state.pos = end
    return True


def _push_link(push, href: str, text: str) -> None:
    link_open = push("link_open", "a", 1)
    link_open.attrs = {"href": href}
    link_open.markup, link_open.info = "linkify", "auto"
    push("text", "", 0).content = text
    link_close = push("link_close", "a", -1)
    link_close.markup, link_close.info = "linkify", "auto"


def _domain_end(src: str, start: int, limit: int) -> int | None:
    """End of the valid domain at `start`: host characters in segments split by periods,
    with no underscore in the last two segments."""
    domain = HOST_CHARACTERS.match(src, start, min(limit, start + MAX_DOMAIN_CHARS + 1))[0]
    if not domain.isascii():
        domain = "".join(itertools.takewhile(_is_not_punctuation, domain))
    last_two_segments = domain.rsplit(".", 2)[-2:]
    if not domain or len(domain) > MAX_DOMAIN_CHARS or "_" in "".join(last_two_segments):
        return None
    return start + len(domain)


def _is_not_punctuation(character: str) -> bool:
    return character in HOST_PUNCTUATION or not unicodedata.category(character).startswith("P")


def _autolink_end(src: str, start: int, end: int) -> int:
    """GFM's extended autolink path validation: trailing punctuation, an entity-like
    ending and unbalanced closing parentheses are left out of the link."""
    opening, closing = src.count("(", start, end), src.count(")", start, end)
    while end > start:
        last = src[end - 1]
        if last in AUTOLINK_TRAILING:
            end -= 1
        elif last == ";":
            entity_start = end - 2
            while entity_start > start and src[entity_start] in ASCII_ALPHANUMERIC:
                entity_start -= 1
            is_entity = entity_start < end - 2 and src[entity_start] == "&"
            end = entity_start if is_entity else end - 1
        elif last == ")" and closing > opening:
            closing -= 1
            end -= 1
        else:
            break
    return end


def _autolink_emails(state: StateCore) -> None:
    """GFM's extended email autolink. Like cmark-gfm, it looks at text once inline
    parsing is done, so `first_last@example.com` is linked whole, never inside a link."""
    for inline in state.tokens:
        if inline.type != "inline" or "@" not in inline.content or not inline.children:
            continue
        children, link_depth = [], 0
        for token in inline.children:
            if _opens_link(token):
                link_depth += 1
            elif _closes_link(token):
                link_depth = max(link_depth - 1, 0)
            if token.type == "text" and not link_depth and "@" in token.content:
                children.extend(_link_emails(state.md, token))
            else:
                children.append(token)
        inline.children = children


def _opens_link(token: Token) -> bool:
    html_link = token.type == "html_inline" and isLinkOpen(token.content)
    return token.type == "link_open" or html_link


def _closes_link(token: Token) -> bool:
    html_link = token.type == "html_inline" and isLinkClose(token.content)
    return token.type == "link_close" or html_link


def _link_emails(markdown: MarkdownIt, text: Token) -> list[Token]:
    tokens: list[Token] = []
    level = text.level

    def push(token_type: str, tag: str, nesting: int) -> Token:
        nonlocal level
        level += min(nesting, 0)
        tokens.append(Token(token_type, tag, nesting, level=level))
        level += max(nesting, 0)
        return tokens[-1]

    linked_to = 0
    for start, end in _email_addresses(text.content):
        href = markdown.normalizeLink("mailto:" + text.content[start:end])
        if not markdown.validateLink(href):
            continue
        if start > linked_to:
            push("text", "", 0).content = text.content[linked_to:start]
        _push_link(push, href, text.content[start:end])
        linked_to = end
    if linked_to == 0:
        return [text]
    if linked_to < len(text.content):
        push("text", "", 0).content = text.content[linked_to:]
    return tokens


def _email_addresses(text: str):
    """(start, end) of each e-mail address: a local part of letters, digits and `.+-_`,
    `@`, and a domain of letters, digits, `-` and `_` with at least one period. As in
    cmark-gfm, the domain ends in a letter, so version numbers (`v1.2@3.4`) stay text."""
    searched_to = 0
    while (at := text.find("@", searched_to)) != -1:
        start = at
        while start > searched_to and text[start - 1] in EMAIL_LOCAL_PART:
            start -= 1
        end = _email_domain_end(text, at + 1)
        if start < at and end is not None:
            yield start, end
            searched_to = end
        else:
            searched_to = at + 1


def _email_domain_end(text: str, start: int) -> int | None:
    end, periods = start, 0
    while end < len(text):
        character = text[end]
        if character in ASCII_ALPHANUMERIC or character in "-_":
            end += 1
        elif character == "." and text[end + 1 : end + 2] in ASCII_ALPHANUMERIC:
            periods += 1
            end += 1
        else:
            break
    another_at = text[end : end + 1] == "@"
    if not periods or not text[end - 1].isalpha() or another_at:
        return None
    return end


def _strike_with_del(state: StateCore) -> None:
    """GFM marks struck-through text as deleted: <del>, where markdown-it writes <s>."""
    for token in _all_tokens(state.tokens):
        if token.type in ("s_open", "s_close"):
            token.tag = "del"


def _label_task_checkboxes(state: StateCore) -> None:
    """Give each task-list checkbox an accessible name: the checkbox and the text of its
    item's first paragraph share one <label>."""
    tokens = state.tokens
    for item, first, inline in zip(tokens, tokens[1:], tokens[2:], strict=False):
        is_task = item.type == "list_item_open" and "checked" in item.meta
        if is_task and first.type == "paragraph_open" and inline.children:
            inline.children = [
                Token("label_open", "label", 1),
                _task_checkbox(item.meta.pop("checked")),
                Token("text", "", 0, content=" "),
                *inline.children,
                Token("label_close", "label", -1),
            ]


def _render_list_item_open(renderer, tokens: list[Token], index: int, options, env) -> str:
    """A task item without text of its own (empty, or starting with code or a list)
    names its checkbox plainly."""
    item = tokens[index]
    html = renderer.renderToken(tokens, index, options, env)
    if "checked" in item.meta:
        checkbox = _task_checkbox(item.meta["checked"])
        checkbox.attrSet("aria-label", "Task")
        html += renderer.renderToken([checkbox], 0, options, env) + " "
    return html


def _task_checkbox(checked: bool) -> Token:
    checkbox = Token("task_checkbox", "input", 0)
    checkbox.attrs = {"class": "task-list-item-checkbox", "type": "checkbox", "disabled": ""}
    if checked:
        checkbox.attrSet("checked", "")
    return checkbox


def _align_cells_with_classes(state: StateCore) -> None:
    """Turn table alignment into classes: a strict CSP forbids inline styles."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and (style := token.attrGet("style")):
            alignment = style.removeprefix("text-align:")
            token.attrs.pop("style")
            token.attrSet("class", f"align-{alignment}")


def _anchor_headings(state: StateCore) -> None:
    """Give every heading a stable, unique id and a self-link."""
    taken: set[str] = set()
    next_suffix: dict[str, int] = {}
    for heading, inline in zip(state.tokens, state.tokens[1:], strict=False):
        if heading.type != "heading_open":
            continue
        text = _plain_text(inline)
        base = slugify(text, allow_unicode=True)[:80] or "section"
        anchor, suffix = base, next_suffix.get(base, 0)
        while anchor in taken:
            suffix += 1
            anchor = f"{base}-{suffix}"
        next_suffix[base] = suffix
        taken.add(anchor)
        heading.attrSet("id", anchor)
        link_open = Token("link_open", "a", 1)
        link_open.attrs = {
            "class": "header-anchor",
            "href": f"#{anchor}",
            "title": "Link to this section",
            "aria-label": f"Link to the section “{text}”",
        }
        symbol = Token("text", "", 0, content="#")
        inline.children = [
            *(inline.children or ()),
            Token("text", "", 0, content=" "),
            link_open,
            symbol,
            Token("link_close", "a", -1),
        ]


def _size_uploaded_images(state: StateCore) -> None:
    """Give each uploaded image its size and smaller copies, so pages do not shift."""
    lookup = state.env.get("shown_images")
    if lookup is None:
        return
    pictures = [token for token in _all_tokens(state.tokens) if token.type == "image"]
    shown = lookup([picture.attrGet("src") for picture in pictures]) if pictures else {}
    for picture in pictures:
        if found := shown.get(picture.attrGet("src")):
            picture.attrSet("width", str(found.width))
            picture.attrSet("height", str(found.height))
            if found.srcset:
                picture.attrSet("srcset", found.srcset)
                picture.attrSet("sizes", images.SIZES)


def _limit_output_size(state: StateCore) -> None:
    estimate = 0
    for token in _all_tokens(state.tokens):
        estimate += len(token.content) + 8
        if token.attrs:
            estimate += sum(len(str(value)) for value in token.attrs.values())
        if estimate > MAX_OUTPUT_CHARS:
            raise MarkdownTooComplex(
                f"This post would render to more than {MAX_OUTPUT_CHARS // 1_000_000} MB "
                "of HTML. Very wide tables or a long link reused many times are the "
                "usual cause: shorten them."
            )


def _all_tokens(tokens: list[Token]):
    for token in tokens:
        yield token
        if token.children:
            yield from token.children


def _plain_text(inline: Token) -> str:
    parts = []
    for child in inline.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "link_open" and child.attrGet("class") == "header-anchor":
            break
    return "".join(parts).strip()


def _table_of_contents(tokens: list[Token]) -> list[Heading]:
    return [
        Heading(level=int(token.tag[1]), text=_plain_text(inline), anchor=anchor)
        for token, inline in zip(tokens, tokens[1:], strict=False)
        if token.type == "heading_open" and (anchor := token.attrGet("id"))
    ]


def _excerpt(tokens: list[Token]) -> str:
    for token, inline in zip(tokens, tokens[1:], strict=False):
        if token.type == "paragraph_open" and inline.type == "inline":
            text = _plain_text(inline)
            if text:
                return textwrap.shorten(text, EXCERPT_CHARS, placeholder=" …")
    return ""


def _word_count(tokens: list[Token]) -> int:
    words = 0
    for token in tokens:
        if token.type == "inline":
            words += len(_plain_text(token).split())
        elif token.type in ("fence", "code_block"):
            words += len(token.content.split())
    return words


def _build_markdown() -> MarkdownIt:
    markdown = MarkdownIt(
        "gfm-like2",
        {"highlight": _highlight, "maxNesting": MAX_NESTING + 1, "linkify": False},
    ).use(footnote_plugin)
    markdown.block.tokenize = _refuse_deep_nesting(markdown.block.tokenize)
    markdown.block.ruler.at("table", _table_within_limit, {"alt": ["paragraph", "reference"]})
    # linkify-it-py links bare host names (example.com), misses addresses on unknown
    # top-level domains and ends links by rules of its own; mdit-py-plugins' gfm_autolink
    # follows GFM but takes quadratic time (seconds on 20 KB of ":" or ")"). Hence GFM's
    # extended autolinks as rules of our own, each linear.
    markdown.disable("linkify")
    markdown.inline.add_terminator_char("w")
    markdown.inline.ruler.after("linkify", "autolink_url", _autolink_url)
    markdown.inline.ruler.after("autolink_url", "autolink_www", _autolink_www)
    markdown.core.ruler.push("autolink_emails", _autolink_emails)
    markdown.core.ruler.push("strike_with_del", _strike_with_del)
    markdown.core.ruler.push("label_task_checkboxes", _label_task_checkboxes)
    markdown.add_render_rule("list_item_open", _render_list_item_open)
    markdown.core.ruler.push("align_cells", _align_cells_with_classes)
    markdown.core.ruler.push("anchor_headings", _anchor_headings)
    markdown.core.ruler.push("size_uploaded_images", _size_uploaded_images)
    markdown.core.ruler.push("limit_output_size", _limit_output_size)
    return markdown


_markdown = _build_markdown()
