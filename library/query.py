"""The query language of 档案检索, parsed into literals (exact, normalised substrings).

    林业 保护           both (AND)
    "行政 处罚"         a phrase with its space (also “…”)
    林业 OR 草原        either (OR binds tighter than AND: a OR b c = (a OR b) AND c)
    -草原               without
    filename:自查报告   in the file name only (also 文件名:)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from library.text import normalize

_TOKEN = re.compile(r'(-?)(?:(filename|文件名|name)[:：])?(?:"([^"]*)"?|“([^”]*)”?|(\S+))', re.IGNORECASE)


@dataclass(frozen=True)
class Literal:
    text: str  # normalised
    name_only: bool = False


@dataclass(frozen=True)
class Group:
    """Alternatives joined by OR; a negated group excludes its matches."""

    literals: tuple[Literal, ...]
    negated: bool = False


@dataclass(frozen=True)
class Query:
    groups: tuple[Group, ...]

    @property
    def positive(self) -> list[Group]:
        return [g for g in self.groups if not g.negated]

    @property
    def highlight_terms(self) -> list[str]:
        """Return the content literals worth marking in snippets, longest first."""
        terms = {lit.text for g in self.positive for lit in g.literals if not lit.name_only}
        return sorted(terms, key=lambda t: (-len(t), t))

    def __bool__(self) -> bool:
        return bool(self.positive)


def parse(raw: str) -> Query:
    """Parse what the user typed; unknown syntax is taken literally, never an error."""
    groups: list[Group] = []
    pending_or = False
    for match in _TOKEN.finditer(raw or ""):
        minus, field, quoted, cquoted, bare = match.groups()
        word = quoted if quoted is not None else cquoted if cquoted is not None else bare
        if bare is not None and not minus and not field and bare == "OR":
            pending_or = bool(groups)
            continue
        if bare is not None and field is None and minus and bare == "-":
            continue
        text = normalize(word or "")
        if not text:
            continue
        literal = Literal(text, name_only=field is not None)
        negated = bool(minus)
        if pending_or and groups and not groups[-1].negated and not negated:
            groups[-1] = Group((*groups[-1].literals, literal))
        else:
            groups.append(Group((literal,), negated))
        pending_or = False
    return Query(tuple(groups))
