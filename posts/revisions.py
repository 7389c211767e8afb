"""Differences between two versions of a post's Markdown, for people to read.

Line by line, as authors think of Markdown; within a changed line the words that differ
are marked too. The result is plain data (no HTML), which templates escape and lay out.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

CONTEXT_LINES = 3
# Words with the whitespace after them, so joining the pieces gives the line back.
WORDS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Piece:
    text: str
    changed: bool = False


@dataclass(frozen=True)
class Line:
    kind: str  # "same", "removed" or "added"
    pieces: tuple[Piece, ...]

    @property
    def text(self) -> str:
        return "".join(piece.text for piece in self.pieces)


@dataclass(frozen=True)
class Hunk:
    """Neighbouring changes with a few unchanged lines around them."""

    first_line: int  # in the new text
    lines: tuple[Line, ...]


def line_diff(old: str, new: str, context: int = CONTEXT_LINES) -> list[Hunk]:
    """The changes from ``old`` to ``new``; an empty list when they are the same."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(context):
        if all(tag == "equal" for tag, *_ in group):
            continue
        lines: list[Line] = []
        for tag, old_start, old_end, new_start, new_end in group:
            removed, added = old_lines[old_start:old_end], new_lines[new_start:new_end]
            if tag == "equal":
                lines += [Line("same", (Piece(text),)) for text in removed]
            else:
                # Replaced lines are compared word by word, in pairs, as far as they go.
                paired = min(len(removed), len(added)) if tag == "replace" else 0
                for before, after in zip(removed[:paired], added[:paired], strict=True):
                    lines += _changed_words(before, after)
                lines += [Line("removed", (Piece(text, True),)) for text in removed[paired:]]
                lines += [Line("added", (Piece(text, True),)) for text in added[paired:]]
        hunks.append(Hunk(first_line=group[0][3] + 1, lines=tuple(lines)))
    return hunks


def _changed_words(before: str, after: str) -> list[Line]:
    """A changed line as its old and new form, with the words that differ marked."""
    old_words, new_words = WORDS.findall(before), WORDS.findall(after)
    matcher = SequenceMatcher(None, old_words, new_words, autojunk=False)
    removed: list[Piece] = []
    added: list[Piece] = []
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        changed = tag != "equal"
        if old_end > old_start:
            removed.append(Piece("".join(old_words[old_start:old_end]), changed))
        if new_end > new_start:
            added.append(Piece("".join(new_words[new_start:new_end]), changed))
    return [Line("removed", tuple(removed)), Line("added", tuple(added))]
