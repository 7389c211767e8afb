"""Reading HTML the way a browser does, for assertions."""

from html.parser import HTMLParser


class Inventory(HTMLParser):
    """Every tag and attribute of a fragment, as a browser would see them."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
