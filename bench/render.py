"""Rendering benchmark: time per input, linearity and the pipeline's overhead.

Run: .venv/bin/python bench/render.py

For each hostile input it renders sizes n and 2n and prints the time ratio (about 2 means
linear; 4 would be quadratic). For ordinary documents it compares the full pipeline with
bare markdown-it-py, to show what highlighting, anchors and sanitizing cost.
"""

import contextlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from markdown_it import MarkdownIt  # noqa: E402

from posts import rendering  # noqa: E402

HOSTILE = {
    "nested brackets": lambda n: "[" * n,
    "nested images": lambda n: "![" * (n // 2),
    "unclosed links": lambda n: "[a](" * (n // 4),
    "emphasis runs": lambda n: "*a **b " * (n // 7),
    "ampersands": lambda n: "&" * n,
    "comment openers": lambda n: "<!--" * (n // 4),
    "backtick runs": lambda n: "".join("`" * i + "a" for i in range(1, int((2 * n) ** 0.5))),
    "list indents": lambda n: "".join(" " * (i % 40) + "- x\n" for i in range(n // 24)),
    "footnote reuse": lambda n: "[^a]: note\n\n" + "x[^a] " * (n // 6),
    "www runs": lambda n: "www." * (n // 4),
    "www underscores": lambda n: "www._" * (n // 5) + "!",
    "spaced www": lambda n: "www. " * (n // 5),
    "at signs": lambda n: "@" * n,
    "local parts": lambda n: "a@" * (n // 2),
    "long local part": lambda n: "a" * n + "@b.c",
    "open parens": lambda n: "(" * n,
    "link and parens": lambda n: "www.example.com/" + ")" * n,
    "tildes": lambda n: "~" * n,
    "tilde openers": lambda n: "~~a " * (n // 4),
    "colons": lambda n: ":" * n,
    "schemes": lambda n: " http:" * (n // 6),
}
PARAGRAPH = (
    "## A section\n\nSome *ordinary* prose with a [link](https://example.com/page), "
    "`inline code` and **strong words**, as a post would have.\n\n"
    "- a list item\n- another one\n\n```python\ndef f(x):\n    return x * 2\n```\n\n"
)


def best_of(function, source, runs=3):
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        with contextlib.suppress(ValueError):
            function(source)
        timings.append(time.perf_counter() - started)
    return min(timings)


def main():
    size = 40_000
    print(f"Hostile inputs: n = {size:,} characters (best of 3)")
    print(f"{'input':<20}{'n (s)':>9}{'2n (s)':>9}{'2n/n':>7}{'µs/char':>9}")
    ratios = []
    for name, make in HOSTILE.items():
        small = best_of(rendering.render_markdown, make(size))
        large = best_of(rendering.render_markdown, make(2 * size))
        ratios.append(large / small)
        print(
            f"{name:<20}{small:>9.3f}{large:>9.3f}{large / small:>7.2f}"
            f"{large / (2 * size) * 1e6:>9.1f}"
        )
    print(f"median 2n/n ratio: {statistics.median(ratios):.2f} (linear = 2, quadratic = 4)")

    bare = MarkdownIt("gfm-like2", {"linkify": False})
    print("\nOrdinary documents: full pipeline vs bare markdown-it-py")
    for kilobytes in (20, 100, rendering.MAX_SOURCE_BYTES // 1024):
        source = PARAGRAPH * (kilobytes * 1024 // len(PARAGRAPH))
        full = best_of(rendering.render_markdown, source)
        plain = best_of(bare.render, source)
        print(
            f"{kilobytes:>4} KB: pipeline {full * 1000:7.1f} ms, bare {plain * 1000:7.1f} ms, "
            f"overhead x{full / plain:.2f}"
        )


if __name__ == "__main__":
    main()
