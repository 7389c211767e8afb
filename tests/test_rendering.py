import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pytest_django.asserts import assertHTMLEqual, assertInHTML

from posts import rendering
from posts.rendering import render, render_markdown
from tests.html import Inventory


def assert_safe(html):
    for tag, attrs in Inventory(html).elements:
        assert tag in rendering.ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"style", "srcset", "formaction", "action", "xlink:href"}
            if name in {"href", "src", "cite"}:
                scheme = urlsplit((value or "").strip()).scheme.lower()
                assert scheme in {"", "http", "https", "mailto"}, (tag, value)
        for css_class in (attrs.get("class") or "").split():
            assert css_class in rendering.PIPELINE_CLASSES or css_class.startswith("language-")
        # No capital letter, so no id in a body equals one of the template's Capitalised
        # ids. islower() also wanted a letter, which "# 1" (id "1") does not have.
        element_id = attrs.get("id") or ""
        assert element_id == element_id.lower(), element_id
        if tag == "a" and "href" in attrs:
            assert attrs["rel"] == "noopener noreferrer nofollow"
        if tag == "input":
            assert attrs["type"] == "checkbox"


def render_safely_or_refuse(source):
    """Safe HTML, or None when the pipeline refused the source with a message."""
    try:
        html = render_markdown(source)
    except ValueError as error:
        assert str(error), "a refusal must tell the author why"
        return None
    assert_safe(html)
    return html


# Text


def test_paragraphs_and_emphasis_follow_commonmark():
    assertHTMLEqual(
        render_markdown("Some *em*, **strong** and `code`.\n\nSecond."),
        "<p>Some <em>em</em>, <strong>strong</strong> and <code>code</code>.</p><p>Second.</p>",
    )


def test_strikethrough_marks_deleted_text_as_gfm_does():
    assertHTMLEqual(render_markdown("~~gone~~"), "<p><del>gone</del></p>")
    assertHTMLEqual(render_markdown("~gone~"), "<p><del>gone</del></p>")
    assertHTMLEqual(
        render_markdown("This will ~~~not~~~ strike."), "<p>This will ~~~not~~~ strike.</p>"
    )


def test_bare_addresses_become_links():
    assertHTMLEqual(
        render_markdown("See https://example.com/page now"),
        '<p>See <a href="https://example.com/page" rel="noopener noreferrer nofollow">'
        "https://example.com/page</a> now</p>",
    )


AUTOLINKS = {
    "www trailing period": (
        "Visit www.example.com/a.b.",
        'Visit <a href="http://www.example.com/a.b">www.example.com/a.b</a>.',
    ),
    "balanced parentheses": (
        "(see www.example.com/q=(x)))",
        '(see <a href="http://www.example.com/q=(x)">www.example.com/q=(x)</a>))',
    ),
    "inner parentheses": (
        "www.google.com/search?q=(business))+ok",
        '<a href="http://www.google.com/search?q=(business))+ok">'
        "www.google.com/search?q=(business))+ok</a>",
    ),
    "entity-like ending": (
        "www.example.com/search?q=a&hl;",
        '<a href="http://www.example.com/search?q=a">www.example.com/search?q=a</a>&amp;hl;',
    ),
    "quoted url": (
        '"https://example.com/page"',
        '"<a href="https://example.com/page">https://example.com/page</a>"',
    ),
    "upper-case scheme": (
        "HTTPS://EXAMPLE.COM",
        '<a href="HTTPS://EXAMPLE.COM">HTTPS://EXAMPLE.COM</a>',
    ),
    "host with port": (
        "http://localhost:8000/admin",
        '<a href="http://localhost:8000/admin">http://localhost:8000/admin</a>',
    ),
    "email": ("foo@bar.baz", '<a href="mailto:foo@bar.baz">foo@bar.baz</a>'),
    "email with plus": (
        "hello+xyz@mail.example.",
        '<a href="mailto:hello+xyz@mail.example">hello+xyz@mail.example</a>.',
    ),
    "email with underscore": (
        "first_last@example.com",
        '<a href="mailto:first_last@example.com">first_last@example.com</a>',
    ),
    "mailto prefix": ("mailto:a@b.co", 'mailto:<a href="mailto:a@b.co">a@b.co</a>'),
}
NOT_AUTOLINKS = {
    "bare host": "see example.com today",
    "www inside a word": "awww.example.com",
    "scheme inside a word": "xhttp://example.com",
    "underscore in the last segments": "www.exa_mple.com",
    "ftp": "ftp://example.com",
    "email ending in a hyphen": "a@b.c-",
    "email without a period": "a@localhost",
    "version numbers": "v1.2@3.4",
    "code span": "`www.example.com`",
}


@pytest.mark.parametrize(("source", "linked"), AUTOLINKS.values(), ids=AUTOLINKS.keys())
def test_bare_addresses_are_linked_as_gfm_says(source, linked):
    html = render_markdown(source).replace(f' rel="{rendering.LINK_REL}"', "")
    assert html == f"<p>{linked}</p>\n"


@pytest.mark.parametrize("source", NOT_AUTOLINKS.values(), ids=NOT_AUTOLINKS.keys())
def test_text_that_is_no_gfm_autolink_stays_text(source):
    assert "<a " not in render_markdown(source)


def test_autolinks_are_not_nested_in_links():
    html = render_markdown("[www.example.com and a@b.co](/x) <a href='/y'>c@d.co http://e.org</a>")
    assert [tag for tag, _ in Inventory(html).elements] == ["p", "a", "a"]


def test_links_get_rel_against_tabnabbing_and_link_spam():
    assertHTMLEqual(
        render_markdown("[site](https://example.com)"),
        '<p><a href="https://example.com" rel="noopener noreferrer nofollow">site</a></p>',
    )


def test_tables_with_alignment_use_classes_not_styles():
    html = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |")
    assertInHTML('<th class="align-left">a</th>', html)
    assertInHTML('<td class="align-right">2</td>', html)
    assert "style" not in html


def test_task_lists_render_read_only_checkboxes_named_by_their_text():
    html = render_markdown("- [x] done\n- [ ] todo")
    assertInHTML(
        '<li class="task-list-item"><label><input class="task-list-item-checkbox" checked '
        'type="checkbox" disabled> done</label></li>',
        html,
    )
    assertInHTML(
        '<li class="task-list-item"><label><input class="task-list-item-checkbox" '
        'type="checkbox" disabled> todo</label></li>',
        html,
    )


def test_task_checkbox_in_a_loose_list_is_labelled_by_its_first_paragraph():
    html = render_markdown("- [x] *done*\n\n  details\n\n- [ ] todo")
    assertInHTML(
        '<li class="task-list-item"><p><label><input class="task-list-item-checkbox" checked '
        'type="checkbox" disabled> <em>done</em></label></p><p>details</p></li>',
        html,
    )


def test_task_checkbox_without_text_of_its_own_is_still_named():
    html = render_markdown("- [ ] \n- [x] - nested")
    checkboxes = [attrs for tag, attrs in Inventory(html).elements if tag == "input"]
    assert [attrs.get("aria-label") for attrs in checkboxes] == ["Task", "Task"]
    assert "<label>" not in html


def test_footnotes_link_both_ways():
    html = render_markdown("Claim.[^1]\n\n[^1]: Source.")
    inventory = Inventory(html).elements
    assert (
        "a",
        {"href": "#fn1", "id": "fnref1", "rel": rendering.LINK_REL},
    ) in inventory
    assert ("li", {"id": "fn1", "class": "footnote-item"}) in inventory
    assert any(tag == "a" and attrs.get("href") == "#fnref1" for tag, attrs in inventory)


def test_headings_get_unique_ids_and_a_self_link():
    html = render_markdown("# Intro\n\n## Intro\n\n## Intro")
    ids = [attrs["id"] for tag, attrs in Inventory(html).elements if tag in {"h1", "h2"}]
    assert ids == ["intro", "intro-1", "intro-2"]
    assertInHTML(
        '<a class="header-anchor" href="#intro-1" title="Link to this section" '
        'aria-label="Link to the section “Intro”" rel="noopener noreferrer nofollow">#</a>',
        html,
    )


def test_heading_ids_stay_unique_when_a_title_looks_like_a_suffix():
    html = render_markdown("# A\n\n# A-1\n\n# A")
    ids = [attrs["id"] for tag, attrs in Inventory(html).elements if tag == "h1"]
    assert ids == ["a", "a-1", "a-2"]


def test_table_of_contents_lists_headings_in_order():
    toc = render("# Start\n\ntext\n\n## *Styled* part\n\n### Deep `code`").toc
    assert [(h.level, h.text, h.anchor) for h in toc] == [
        (1, "Start", "start"),
        (2, "Styled part", "styled-part"),
        (3, "Deep code", "deep-code"),
    ]


def test_fenced_code_is_highlighted_with_classes():
    html = render_markdown("```python\ndef f(): pass\n```")
    assertInHTML('<span class="k">def</span>', html)
    assert html.startswith('<pre class="highlight"><code class="language-python">')
    assert "style=" not in html


def test_unknown_language_is_shown_escaped_without_highlighting():
    html = render_markdown("```nosuchlang\n<b>x</b>\n```")
    assertHTMLEqual(
        html,
        '<pre><code class="language-nosuchlang">&lt;b&gt;x&lt;/b&gt;\n</code></pre>',
    )


def test_huge_code_block_is_not_highlighted():
    code = "x = 1\n" * (rendering.MAX_HIGHLIGHTED_BLOCK_CHARS // 6 + 1)
    html = render_markdown(f"```python\n{code}```")
    assert '<span class="' not in html
    assert html.count("x = 1") == code.count("x = 1")


def test_images_load_lazily():
    assertHTMLEqual(
        render_markdown('![A cat](/cat.png "Title")'),
        '<p><img src="/cat.png" alt="A cat" title="Title" loading="lazy"></p>',
    )


def test_html_images_load_lazily_too():
    assertHTMLEqual(
        render_markdown('<img src="/cat.png" alt="A cat" loading="eager">'),
        '<img src="/cat.png" alt="A cat" loading="lazy">',
    )


def test_alerts_render_as_styled_notes():
    html = render_markdown("> [!WARNING]\n> Careful.")
    assertInHTML('<p class="markdown-alert-title">Warning</p>', html)


def test_excerpt_is_plain_text_of_first_paragraph():
    result = render("# Title\n\nFirst *para* with [a link](https://x.org).\n\nSecond.")
    assert result.excerpt == "First para with a link."


def test_excerpt_is_cut_at_a_word_boundary():
    excerpt = render("word " * 200).excerpt
    assert len(excerpt) <= rendering.EXCERPT_CHARS
    assert excerpt.endswith("word …")


def test_word_count_and_reading_time():
    result = render("one two three\n\n# four\n\n```\nfive six\n```")
    assert result.word_count == 6
    assert render("word " * 1000).reading_minutes == 5


def test_rendering_is_deterministic():
    source = (settings.BASE_DIR / "posts/demo/markdown-tour.md").read_text()
    assert len({render_markdown(source) for _ in range(20)}) == 1


def test_highlight_stylesheets_are_up_to_date():
    for style in rendering.HIGHLIGHT_STYLES:
        shipped = settings.BASE_DIR / f"static/css/pygments-{style}.css"
        assert shipped.read_text() == rendering.highlight_stylesheet(style)


# Sanitizing

HOSTILE = {
    "script tag": "<script>alert(1)</script>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "markdown javascript link": "[x](javascript:alert(1))",
    "mixed-case scheme": "[x](JaVaScRiPt:alert(1))",
    "entity-encoded scheme": '<a href="&#106;avascript:alert(1)">x</a>',
    "html javascript link": '<a href="javascript:alert(1)">x</a>',
    "leading-space scheme": '<a href="  javascript:alert(1)">x</a>',
    "vbscript": '<a href="vbscript:msgbox(1)">x</a>',
    "data html link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data svg image": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "wrapped scheme": "[x](view-source:javascript:alert(1))",
    "file scheme": "[x](file:///etc/passwd)",
    "angle autolink": "<javascript:alert(1)>",
    "img javascript src": '<img src="javascript:alert(1)">',
    "srcset": '<img src="/a.png" srcset="javascript:alert(1) 1x">',
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "object": '<object data="/x.swf"></object>',
    "embed": '<embed src="/x.swf">',
    "form": '<form action="https://evil.example"><input name="p"><button>Go</button></form>',
    "style element": "<style>body{display:none}</style>",
    "style attribute": '<p style="position:fixed;top:0">x</p>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "base": '<base href="https://evil.example/">',
    "link stylesheet": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "svg onload": "<svg onload=alert(1)><circle r=1 /></svg>",
    "math xlink": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "div onclick": '<div onclick="alert(1)">x</div>',
    "details ontoggle": "<details open ontoggle=alert(1)><summary>s</summary></details>",
    "video source onerror": "<video><source onerror=alert(1)></video>",
    "comment breakout": "<!--><script>alert(1)</script>-->",
    "noscript mutation": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "textarea": "<textarea><script>alert(1)</script></textarea>",
    "template": "<template><script>alert(1)</script></template>",
    "target blank": '<a href="https://evil.example" target="_blank">x</a>',
    "text input": '<input type="text" name="password" onfocus="alert(1)" autofocus>',
    "spoofed site class": '<p class="preview-banner site-header">Fake notice</p>',
    "clashing id": '<h2 id="Content">Hijack the skip link</h2>',
    "link in code fence language": '```"><script>alert(1)</script>\ncode\n```',
    "attribute breakout in image": '![x" onerror="alert(1)](/a.png)',
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_is_neutralised(source):
    html = render_markdown(source)
    assert_safe(html)
    assert "<script" not in html.lower()


def test_sanitizer_keeps_harmless_html():
    html = render_markdown("<kbd>Ctrl</kbd> <mark>hi</mark> H<sub>2</sub>O")
    assertHTMLEqual(html, "<p><kbd>Ctrl</kbd> <mark>hi</mark> H<sub>2</sub>O</p>")


def test_sanitizer_strips_unknown_classes_but_keeps_pipeline_ones():
    html = render_markdown('<span class="k evil">x</span>')
    assertHTMLEqual(html, '<p><span class="k">x</span></p>')


def test_every_demo_feature_survives_sanitizing():
    source = (settings.BASE_DIR / "posts/demo/markdown-tour.md").read_text()
    html = render_markdown(source)
    assert_safe(html)
    for fragment in [
        '<span class="k">',
        'class="header-anchor"',
        'id="fn1"',
        '<label><input class="task-list-item-checkbox"',
        "<del>",
        '<a href="http://www.python.org"',
        '<a href="mailto:editor@example.com"',
        "<table>",
        '<img src="/static/img/pipeline.svg"',
        "<details>",
    ]:
        assert fragment in html


# Pathological inputs: linear time, bounded output, only ValueError

PATHOLOGICAL = {
    "nested quotes": ">" * 50_000,
    "nested quotes on lines": "".join("> " * i + "x\n" for i in range(1, 300)),
    "open brackets": "[" * 30_000,
    "open images": "![" * 15_000,
    "emphasis runs": "*a **b " * 10_000,
    "stars": "*" * 50_000,
    "ampersands": "&" * 50_000,
    "comment openers": "<!--" * 30_000,
    "list indents": "".join(" " * (2 * i) + "- x\n" for i in range(3_000)),
    "backtick runs": "".join("`" * i + "a" for i in range(1, 400)),
    "unclosed links": "[a](" * 20_000,
    "html tags": "<a " * 30_000,
    "www runs": "www." * 12_500,
    "www after underscores": "www._" * 10_000 + "!",
    "spaced www": "www. " * 10_000,
    "at signs": "@" * 50_000,
    "addresses without domains": "a@" * 25_000,
    "open parentheses": "(" * 50_000,
    "closing parentheses after a link": "www.example.com/" + ")" * 50_000,
    "tildes": "~" * 50_000,
    "strikethrough openers": "~~a " * 12_500,
    "colons": ":" * 50_000,
    "schemes": " http:" * 10_000,
}


@pytest.mark.parametrize("source", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_input_renders_quickly_or_is_refused(source):
    started = time.perf_counter()
    render_safely_or_refuse(source)
    # A guard against super-linear blow-ups (minutes), not a speed goal: see bench/.
    assert time.perf_counter() - started < 5


def test_deep_nesting_is_refused_not_silently_dropped():
    with pytest.raises(ValueError, match="nested more than 20 levels"):
        render_markdown("> " * 25 + "deep")
    assert "deep" in render_markdown("> " * 10 + "deep")


def test_wide_tables_are_refused_before_they_expand():
    source = "|" + "a|" * 2_000 + "\n|" + "-|" * 2_000 + "\n" + "|\n" * 3_000
    with pytest.raises(ValueError, match="more than 50,000 cells"):
        render_markdown(source)


def test_reused_long_reference_is_refused_before_it_expands():
    source = "[x]: https://example.com/" + "a" * 100_000 + "\n\n" + "[x] " * 20_000
    with pytest.raises(ValueError, match="more than 5 MB of HTML"):
        render_markdown(source)


def test_oversized_source_is_refused_quickly():
    started = time.perf_counter()
    with pytest.raises(ValueError, match="the limit is 256 KB"):
        render_markdown("a" * 1_048_577)
    assert time.perf_counter() - started < 1


def test_largest_allowed_source_renders():
    paragraph = "Ordinary prose with a [link](https://example.com) and *emphasis*.\n\n"
    source = paragraph * (rendering.MAX_SOURCE_BYTES // len(paragraph))
    assert render_markdown(source).count("<p>") == source.count("\n\n")


# Property: whatever an author types, the pipeline answers safe HTML or a ValueError.

MARKDOWN_ALPHABET = st.sampled_from(
    list("[]()!*_~`#>-+|:\\&;<>/\"'=\n \t1aZ")
    + [
        "javascript:",
        "<script>",
        "onerror=",
        "](",
        "- [ ] ",
        "[^1]",
        "```",
        "<!--",
        "-->",
        "<a href=",
        "<img src=",
        "data:",
        "&#106;",
        "www.",
        "http://",
        "@b.c",
        "a_",
    ]
)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MARKDOWN_ALPHABET, max_size=200).map("".join))
def test_any_input_renders_safely_or_raises_value_error(source):
    html = render_safely_or_refuse(source)
    assert html is None or render_markdown(source) == html


def test_excerpt_skips_a_leading_image_only_paragraph():
    assert render("![A diagram](/d.png)\n\nThe real start.").excerpt == "The real start."
