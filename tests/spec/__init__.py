"""The vendored CommonMark and GFM spec examples, and HTML compared as a browser reads it.

The spec files are unmodified copies (see README.md here for their sources and licence).
"""

import json
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import urlsplit
from xml.dom.minidom import Element, Node

import html5lib
import pytest

from posts import rendering

FOLDER = Path(__file__).parent
GFM_EXAMPLE = re.compile(
    r"^`{32} example ?(?P<extension>\w*)\n(?P<markdown>.*?)^\.\n(?P<html>.*?)^`{32}$"
    r"|^#{1,6} (?P<heading>[^\n]+)$",
    flags=re.MULTILINE | re.DOTALL,
)
WHITESPACE = re.compile(r"[ \t\n\r\f]+")
# Elements that start a new line of layout: whitespace next to their tags is not shown.
BLOCKS = {
    "blockquote", "dd", "details", "div", "dl", "dt", "figcaption", "figure", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
VOID = {"br", "col", "hr", "img", "input", "wbr"}
TASK_LIST_CLASSES = {"contains-task-list", "task-list-item", "task-list-item-checkbox"}


@dataclass(frozen=True)
class Example:
    number: int
    section: str
    extension: str
    markdown: str
    html: str


def gfm_examples() -> list[Example]:
    """Every example of the GFM spec 0.29, numbered as the spec numbers them."""
    text = (FOLDER / "gfm-0.29.txt").read_text(encoding="utf-8")
    examples, section = [], ""
    for match in GFM_EXAMPLE.finditer(text):
        if match["heading"]:
            section = match["heading"].removesuffix(" (extension)")
            continue
        examples.append(
            Example(
                number=len(examples) + 1,
                section=section,
                extension=match["extension"],
                markdown=match["markdown"].replace("→", "\t"),
                html=match["html"].replace("→", "\t"),
            )
        )
    return examples


def commonmark_examples() -> list[Example]:
    """Every example of the CommonMark spec 0.31.2."""
    entries = json.loads((FOLDER / "commonmark-0.31.2.json").read_text(encoding="utf-8"))
    return [
        Example(entry["example"], entry["section"], "", entry["markdown"], entry["html"])
        for entry in entries
    ]


def as_browser_reads(html: str) -> str:
    """The tree a browser builds from `html`, without what markup adds or removes on
    purpose, written in one canonical form (sorted attributes, collapsed whitespace)."""
    fragment = html5lib.parseFragment(html, treebuilder="dom")
    _drop_deliberate_differences(fragment)
    return _collapse_whitespace(_write(fragment))


def _drop_deliberate_differences(node: Node) -> None:
    for child in list(node.childNodes):
        if child.nodeType == Node.ELEMENT_NODE:
            _drop_deliberate_differences(child)
            if not _drop_sanitized(child):
                _drop_additions(child)
        elif child.nodeType == Node.COMMENT_NODE:
            # The sanitizer strips comments.
            node.removeChild(child)


def _drop_sanitized(element: Element) -> bool:
    """Take out what the sanitizer removes on purpose; True if the element went."""
    # Tags outside the allowlist are removed, their text kept.
    if element.tagName not in rendering.ALLOWED_TAGS:
        _unwrap(element)
        return True
    # Links and images keep only http, https, mailto and relative addresses.
    for name in ("href", "src"):
        scheme = urlsplit(element.getAttribute(name)).scheme.lower()
        if element.hasAttribute(name) and scheme not in {"", *rendering.ALLOWED_URL_SCHEMES}:
            element.removeAttribute(name)
    # Code's language is a class, and odd classes are dropped.
    language = element.getAttribute("class")
    if language.startswith("language-") and not rendering.LANGUAGE_CLASS.fullmatch(language):
        element.removeAttribute("class")
    return False


def _drop_additions(element: Element) -> None:
    """Take out what the pipeline adds on purpose."""
    classes = set(element.getAttribute("class").split())
    # Every link gets rel="noopener noreferrer nofollow" (tabnabbing, link spam).
    if element.tagName == "a":
        _remove_attribute(element, "rel")
    # Headings get an id and a "#" self-link after their text.
    if element.tagName in {"h1", "h2", "h3", "h4", "h5", "h6"}:
        _remove_attribute(element, "id")
    if "header-anchor" in classes:
        previous = element.previousSibling
        if previous is not None and previous.nodeType == Node.TEXT_NODE:
            previous.data = previous.data.removesuffix(" ")
        element.parentNode.removeChild(element)
        return
    # Images load lazily.
    if element.tagName == "img":
        _remove_attribute(element, "loading")
    # Fenced code is highlighted by Pygments: a class on <pre>, spans around tokens.
    if element.tagName == "pre":
        classes.discard("highlight")
    if element.tagName == "span" and _inside_highlighted_code(element):
        _unwrap(element)
        return
    # Task lists: classes for the stylesheet, and a <label> that names each checkbox.
    classes -= TASK_LIST_CLASSES
    if element.tagName == "label":
        _unwrap(element)
        return
    # Table alignment is a class: a strict CSP forbids the style attribute.
    for alignment in ("left", "center", "right"):
        if f"align-{alignment}" in classes:
            classes.discard(f"align-{alignment}")
            element.setAttribute("align", alignment)
    if classes:
        element.setAttribute("class", " ".join(sorted(classes)))
    else:
        _remove_attribute(element, "class")


def _remove_attribute(element: Element, name: str) -> None:
    if element.hasAttribute(name):
        element.removeAttribute(name)


def _inside_highlighted_code(element: Element) -> bool:
    parent = element.parentNode
    while parent is not None and parent.nodeType == Node.ELEMENT_NODE:
        if parent.tagName == "pre":
            return "highlight" in parent.getAttribute("class").split()
        parent = parent.parentNode
    return False


def _unwrap(element: Element) -> None:
    parent = element.parentNode
    for child in list(element.childNodes):
        parent.insertBefore(child, element)
    parent.removeChild(element)
    parent.normalize()


def _write(node: Node, in_pre: bool = False) -> list[tuple[str, str]]:
    """The node's content as (kind, text) pieces: "text", "block" tags or "inline" tags."""
    pieces = []
    for child in node.childNodes:
        if child.nodeType == Node.TEXT_NODE:
            pieces.append(("pre" if in_pre else "text", escape(child.data, quote=False)))
        elif child.nodeType == Node.ELEMENT_NODE:
            tag = child.tagName
            kind = "block" if tag in BLOCKS else "inline"
            attributes = "".join(
                f' {name}="{escape(value)}"' for name, value in sorted(child.attributes.items())
            )
            pieces.append((kind, f"<{tag}{attributes}>"))
            if tag not in VOID:
                pieces.extend(_write(child, in_pre or tag == "pre"))
                pieces.append((kind, f"</{tag}>"))
    return pieces


def _collapse_whitespace(pieces: list[tuple[str, str]]) -> str:
    written = []
    for index, (kind, text) in enumerate(pieces):
        if kind == "text":
            text = WHITESPACE.sub(" ", text)
            if index == 0 or pieces[index - 1][0] == "block":
                text = text.lstrip(" ")
            if index == len(pieces) - 1 or pieces[index + 1][0] == "block":
                text = text.rstrip(" ")
        written.append(text)
    return "".join(written)


def as_params(examples: list[Example], left_out: dict[int, str]) -> list:
    """The examples as test parameters; those left out are strict xfails saying why."""
    return [
        pytest.param(
            example,
            id=f"{example.number}-{example.section}",
            marks=[pytest.mark.xfail(reason=left_out[example.number], strict=True)]
            if example.number in left_out
            else [],
        )
        for example in examples
    ]
