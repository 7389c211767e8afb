"""The CommonMark spec 0.31.2's examples, rendered by markup as the spec says.

The raw-HTML sections are left out: all raw HTML goes through the sanitizer, whose own
tests are in test_rendering. Both sides are compared as a browser reads them (see
tests.spec.as_browser_reads).
"""

import pytest

from posts.rendering import render_markdown
from tests.spec import as_browser_reads, as_params, commonmark_examples

RAW_HTML_SECTIONS = {"HTML blocks", "Raw HTML"}
# GFM's extended autolinks are on: text that is a link in GFM is a link in markup.
GFM_AUTOLINK = "bare address linked by GFM's extended autolinks"
LEFT_OUT = {
    602: GFM_AUTOLINK,
    606: GFM_AUTOLINK,
    608: GFM_AUTOLINK,
    611: GFM_AUTOLINK,
    612: GFM_AUTOLINK,
}
EXAMPLES = [
    example for example in commonmark_examples() if example.section not in RAW_HTML_SECTIONS
]


@pytest.mark.parametrize(
    "example",
    as_params(EXAMPLES, LEFT_OUT),
)
def test_example_renders_as_the_spec_says(example):
    expected = as_browser_reads(example.html)
    assert as_browser_reads(render_markdown(example.markdown)) == expected


def test_at_least_98_percent_of_the_examples_pass():
    assert len(EXAMPLES) == 588
    assert len(LEFT_OUT) / len(EXAMPLES) <= 0.02
