"""The GFM spec 0.29's extension examples, rendered by markup as GitHub renders them.

Tables, task list items, strikethrough and extended autolinks; the "Disallowed Raw HTML"
extension is left to the sanitizer, which removes far more. Both sides are compared as a
browser reads them (see tests.spec.as_browser_reads).
"""

import pytest

from posts.rendering import render_markdown
from tests.spec import as_browser_reads, as_params, gfm_examples

EXTENSIONS = {"table", "disabled", "strikethrough", "autolink"}
# Each example markup renders differently on purpose, and why.
LEFT_OUT = {
    628: "ftp:// addresses stay text: links may only use http, https and mailto, and "
    "browsers no longer open ftp:// anyway",
}
EXAMPLES = [example for example in gfm_examples() if example.extension in EXTENSIONS]


@pytest.mark.parametrize(
    "example",
    as_params(EXAMPLES, LEFT_OUT),
)
def test_extension_example_renders_as_the_spec_says(example):
    expected = as_browser_reads(example.html)
    assert as_browser_reads(render_markdown(example.markdown)) == expected


def test_every_extension_has_examples_and_almost_all_pass():
    assert {example.extension for example in EXAMPLES} == EXTENSIONS
    assert len(EXAMPLES) == 23
    assert len(LEFT_OUT) / len(EXAMPLES) <= 0.05
