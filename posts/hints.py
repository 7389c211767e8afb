"""Writing hints: what in a rendered post keeps some readers out, found in its HTML.

The HTML is the document as readers' browsers and screen readers get it, so the hints
are read from it with an HTML parser, after Markdown and the sanitizer have had their say.
"""

from html.parser import HTMLParser

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Links the pipeline adds itself: heading self-links are labelled with aria-label.
PIPELINE_LINK_CLASSES = {"header-anchor"}


class _Outline(HTMLParser):
    """Collects images without alt text, headings and links without text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images_without_alt: list[str] = []
        self.headings: list[tuple[int, str]] = []
        self.empty_links: list[str] = []
        self._heading: list | None = None
        self._link: dict | None = None
        self._in_pipeline_link = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img":
            alt = (attributes.get("alt") or "").strip()
            if not alt:
                self.images_without_alt.append(attributes.get("src") or "")
            if self._link is not None and alt:
                self._link["text"].append(alt)
        elif tag in HEADINGS:
            self._heading = [int(tag[1]), []]
        elif tag == "a" and "href" in attributes:
            classes = set((attributes.get("class") or "").split())
            if classes & PIPELINE_LINK_CLASSES:
                self._in_pipeline_link = True
            else:
                self._link = {"href": attributes["href"], "text": []}

    def handle_endtag(self, tag):
        if tag in HEADINGS and self._heading is not None:
            level, text = self._heading
            self.headings.append((level, "".join(text).strip()))
            self._heading = None
        elif tag == "a" and self._in_pipeline_link:
            self._in_pipeline_link = False
        elif tag == "a" and self._link is not None:
            if not "".join(self._link["text"]).strip():
                self.empty_links.append(self._link["href"])
            self._link = None

    def handle_data(self, data):
        if self._in_pipeline_link:
            return
        if self._link is not None:
            self._link["text"].append(data)
        elif self._heading is not None:
            self._heading[1].append(data)


def writing_hints(html: str) -> list[str]:
    """Advice for the author of this rendered body; an empty list when there is none."""
    outline = _Outline()
    outline.feed(html)
    outline.close()
    hints = []
    if outline.images_without_alt:
        count = len(outline.images_without_alt)
        hints.append(
            ngettext(
                "An image has no alt text (%(images)s): describe it in the brackets, "
                "![like this](…), for readers who cannot see it.",
                "%(count)d images have no alt text (%(images)s): describe each in the "
                "brackets, ![like this](…), for readers who cannot see them.",
                count,
            )
            % {"count": count, "images": ", ".join(outline.images_without_alt)}
        )
    level_one = [text for level, text in outline.headings if level == 1]
    if level_one:
        hints.append(
            _(
                "Level-1 heading in the body (“%(heading)s”): the title is the page's "
                "level-1 heading. Start sections with ## instead."
            )
            % {"heading": "”, “".join(level_one)}
        )
    previous = 1  # the title
    for level, text in outline.headings:
        if level > previous + 1:
            hints.append(
                _(
                    "The heading “%(heading)s” skips from level %(previous)d to %(level)d: "
                    "go down one level at a time, so the outline makes sense to screen "
                    "readers."
                )
                % {"heading": text, "previous": previous, "level": level}
            )
        previous = level
    if outline.empty_links:
        count = len(outline.empty_links)
        hints.append(
            ngettext(
                "A link has no text (%(links)s): write what it leads to between the "
                "brackets, [like this](…).",
                "%(count)d links have no text (%(links)s): write what each leads to "
                "between the brackets, [like this](…).",
                count,
            )
            % {"count": count, "links": ", ".join(outline.empty_links)}
        )
    return hints
