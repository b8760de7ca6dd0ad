"""The read-only search API: exact substring search, trimmed by permission, with facets and snippets.

Evaluation per index segment: a literal's 2-gram posting sets are intersected rarest first (stopping
early when few candidates remain), then each candidate is checked against its stored text with a
C-level substring search. Hits are filtered by the user's scope before anything is counted, then
facets, sorting and the page are computed; the page rows are loaded from the database with the same
visibility rule applied in SQL.
"""

from __future__ import annotations

import heapq
import math
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import compress, repeat
from operator import attrgetter, methodcaller
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from core.messages import msg
from core.models import Department, User
from core.models.base import BUREAU_ZONE
from core.models.documents import FilingRecord
from core.models.files import CLASSIFICATIONS, ArchiveFile, ArchiveFileText
from library import engine
from library.access import Scope, scope_for, visible_files
from library.query import Group, Literal, Query, parse
from library.text import literal_grams, variant_folding
from library.variants import simplified_variants

PER_PAGE = 20
# Below this many candidates it is cheaper to check the texts than to read more posting lists.
_VERIFY_BELOW = 64
SNIPPET_CONTEXT = 36
MAX_SNIPPETS = 3


@dataclass(frozen=True)
class Filters:
    """What the result list is narrowed to (facets are counted before these)."""

    department_id: int | None = None
    year: int | None = None
    kind: str | None = None
    date_from: date | None = None  # the file's modification date in the bureau's zone, inclusive
    date_to: date | None = None
    doc_number: str | None = None  # 文号 of a filed 公文, a part of it (e.g. 〔2025〕12)
    archive_number: str | None = None  # 档号, a part of it
    outcome: str | None = None  # see core.models.files.OUTCOMES

    @property
    def needs_database(self) -> bool:
        return bool(self.doc_number or self.archive_number or self.outcome)


@dataclass
class Hit:
    """One result: a file, or a filed 公文 (件) standing for all its files (`document_id`, `related`)."""

    file: ArchiveFile
    score: float
    snippets: list[list[tuple[str, bool]]]
    document_id: int | None = None
    doc_number: str | None = None
    related: list[ArchiveFile] = field(default_factory=list)


@dataclass
class FacetValue:
    value: Any
    label: str
    count: int


@dataclass
class SearchResult:
    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    elapsed_ms: float = 0.0
    index_ready: bool = True


# Above this many hits, ranking skips counting occurrences in every document (see _score).
SCORE_COUNT_LIMIT = 2000


# ---------------------------------------------------------------------------------------------- evaluation


def _verify(seg: engine.Segment, data: Any, needle: bytes, cand: Iterable[int]) -> set[int]:
    # One C-level pipeline instead of a Python loop: the text check is most of a broad query's time.
    docs = list(cand)
    found = map(data.find, repeat(needle), map(seg.starts.__getitem__, docs), map(seg.ends.__getitem__, docs))
    return set(compress(docs, map(_NOT_FOUND.__ne__, found)))


_NOT_FOUND = -1
# Reading one more posting list costs about this many candidates' text checks per posting read: a gram
# held by far more documents than the candidates left prunes too little to pay for itself.
_READ_VS_VERIFY = 4
_LITTLE_PRUNED = 0.9


def _content(seg: engine.Segment, data: Any, text: str, within: set[int] | None) -> set[int]:
    needed, verify = literal_grams(text)
    needle = text.encode("utf-8")
    if not needed:  # single characters: scan the stored texts
        return _verify(seg, data, needle, seg.live if within is None else within)
    frequencies = {g: seg.doc_frequency("grams", g) for g in needed}
    order = sorted(needed, key=frequencies.__getitem__)
    cand = seg.docs("grams", order[0])
    if within is not None:
        cand &= within
    for gram in order[1:]:
        if not cand or len(cand) < _VERIFY_BELOW:
            break
        if verify and frequencies[gram] > _READ_VS_VERIFY * len(cand):
            break  # the text check below keeps the result exact
        before = len(cand)
        cand &= seg.docs("grams", gram)
        if verify and len(cand) > _LITTLE_PRUNED * before:
            break  # this list barely pruned: the commoner ones left would not either
    return _verify(seg, data, needle, cand) if verify else cand


def _names(seg: engine.Segment, text: str, name_only: bool, within: set[int] | None) -> set[int]:
    needed, _verify_needed = literal_grams(text)
    metas = seg.metas
    if needed:
        order = sorted(needed, key=lambda g: seg.doc_frequency("names", g))
        cand = seg.docs("names", order[0])
        for gram in order[1:]:
            if len(cand) < _VERIFY_BELOW:
                break
            cand &= seg.docs("names", gram)
    else:
        cand = seg.live
    if within is not None:
        cand = cand & within
    if name_only:
        return {d for d in cand if text in metas[d].name}
    return {d for d in cand if text in metas[d].name or text in metas[d].title}


def _literal(seg: engine.Segment, data: Any, lit: Literal, within: set[int] | None) -> set[int]:
    if lit.name_only:
        return _names(seg, lit.text, True, within)
    return _content(seg, data, lit.text, within) | _names(seg, lit.text, False, within)


def _group(seg: engine.Segment, data: Any, group: Group, within: set[int] | None) -> set[int]:
    out: set[int] = set()
    for lit in group.literals:
        out |= _literal(seg, data, lit, within)
    return out


def _evaluate(seg: engine.Segment, data: Any, query: Query, within: set[int] | None = None) -> set[int]:
    """Return the documents of `seg` matching `query`, only among `within` (None: all live ones).

    Each group is evaluated among the documents still possible, so the permission filter and an
    earlier term shrink what later terms must check against the text.
    """
    positive = sorted(query.positive, key=lambda g: len(g.literals))
    docs: set[int] | None = None
    for group in positive:
        docs = _group(seg, data, group, within if docs is None else docs)
        if not docs:
            return set()
    if docs is None:
        docs = set(seg.live if within is None else within)
    for group in query.groups:
        if group.negated and docs:
            docs -= _group(seg, data, group, docs)
    return docs


def _matches(view: engine.IndexView, query: Query, scope: Scope) -> list[engine.DocMeta]:
    data = view.texts.data
    out: list[engine.DocMeta] = []
    everything = scope.read_all and scope.may_search and scope.clearance >= max(CLASSIFICATIONS)

    def rule(m: engine.DocMeta) -> bool:
        return scope.allows(m.department_id, m.public, m.classification, m.fid)

    for seg in view.segments:
        docs = _evaluate(seg, data, query, None if everything else seg.allowed(scope, rule))
        metas = seg.metas
        out.extend([metas[d] for d in docs])
    return out


def _score(view: engine.IndexView, query: Query, matches: list[engine.DocMeta], *,
           count_occurrences: bool | None = None) -> dict[int, float]:
    # Cheap relevance: saturated occurrence counts of each literal, a length normalisation favouring
    # short documents, a bonus per literal found in the title. With very many hits the per-document
    # counting is skipped (density and title decide; the hit set and the counts stay exact).
    if not matches:
        return {}
    data = view.texts.data
    terms = query.highlight_terms
    inv = 0.25 / view.average_length
    if count_occurrences is None:
        count_occurrences = len(matches) <= SCORE_COUNT_LIMIT
    if count_occurrences:
        needles = [t.encode("utf-8") for t in terms]
        scores = {}
        for m in matches:
            body = data[m.offset:m.offset + m.length]
            score = 0.0
            for needle in needles:
                count = body.count(needle)
                score += count / (count + 1.2)
            scores[m.fid] = score / (0.75 + m.length * inv)
    else:
        weight = 0.5 * len(terms)
        scores = {m.fid: weight / (0.75 + m.length * inv) for m in matches}
    for text in terms:
        for m in [m for m in matches if text in m.title]:
            scores[m.fid] += 1.0
    return scores


def _ranked(view: engine.IndexView, query: Query, matches: list[engine.DocMeta],
            count: int) -> tuple[list[engine.DocMeta], dict[int, float]]:
    """Return the best `count` matches by relevance and their scores.

    Above SCORE_COUNT_LIMIT a score is the density term (shorter is better) plus a bonus per literal
    in the title, so the best are among the titled matches and the `count` shortest others: only
    those are scored, and the shortest are found with a C-level key instead of scoring every hit.
    """
    if len(matches) <= SCORE_COUNT_LIMIT:
        scores = _score(view, query, matches)
        return heapq.nlargest(count, matches, key=lambda m: (scores[m.fid], -m.fid)), scores
    terms = query.highlight_terms
    if not terms:  # every score is 0: the lowest file ids first, as the scored order would be
        top = heapq.nsmallest(count, matches, key=attrgetter("fid"))
        return top, {m.fid: 0.0 for m in top}
    titles = list(map(attrgetter("title"), matches))
    titled = [m for t in terms for m in compress(matches, map(methodcaller("__contains__", t), titles))]
    shortest = heapq.nsmallest(count, matches, key=attrgetter("length", "fid"))
    pool = list({m.fid: m for m in (*titled, *shortest)}.values())
    scores = _score(view, query, pool, count_occurrences=False)  # as the whole set would be scored
    return heapq.nlargest(count, pool, key=lambda m: (scores[m.fid], -m.fid)), scores


# ---------------------------------------------------------------------------------------------- snippets


_FULL_WIDTH: dict[str, str] = {}
for _code in range(0xFF01, 0xFF5F):  # ！..～ fold to ASCII under NFKC: match either form in the original
    _FULL_WIDTH.setdefault(chr(_code - 0xFEE0).lower(), "")
    _FULL_WIDTH[chr(_code - 0xFEE0).lower()] += chr(_code)


def highlight_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """Return a regex finding normalised terms in original text (case, full-width forms, whitespace)."""
    parts = []
    for term in terms:
        pieces = []
        for ch in term:
            if ch == " ":
                pieces.append(r"\s+")
            elif ch in _FULL_WIDTH:
                pieces.append("[" + re.escape(ch + ch.upper() + _FULL_WIDTH[ch]) + "]")
            elif variant_folding() and ch in simplified_variants():
                pieces.append("[" + re.escape(ch + simplified_variants()[ch]) + "]")  # 业 also marks 業
            else:
                pieces.append(re.escape(ch))
        if pieces:
            parts.append("".join(pieces))
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def snippets(text: str, terms: Iterable[str], *, limit: int = MAX_SNIPPETS,
             context: int = SNIPPET_CONTEXT) -> list[list[tuple[str, bool]]]:
    """Return up to `limit` fragments of `text` around the terms, as (piece, is_match) runs."""
    return _fragments(text, terms, limit, context, _squash)


def marked_text(text: str, terms: Iterable[str]) -> list[tuple[str, bool]]:
    """Return the whole text as (piece, is_match) runs, line breaks kept (the preview page)."""
    if not text:
        return []
    return _fragments(text, terms, 10**9, 10**9, str)[0]


def _fragments(text: str, terms: Iterable[str], limit: int, context: int,
               squash: Any) -> list[list[tuple[str, bool]]]:
    pattern = highlight_pattern(terms)
    spans: list[tuple[int, int]] = []
    if pattern is not None:
        for match in pattern.finditer(text):
            if match.end() > match.start():
                spans.append(match.span())
            if len(spans) >= limit * 4 and limit < 10**9:
                break
    if not spans:
        return [[(squash(text[: context * 3]) + ("…" if len(text) > context * 3 else ""), False)]] if text else []
    windows: list[list[tuple[int, int]]] = []
    for s, e in spans:
        if windows and s - windows[-1][-1][1] <= context * 2 and e - windows[-1][0][0] <= context * 5:
            windows[-1].append((s, e))
        elif len(windows) < limit:
            windows.append([(s, e)])
    out = []
    for marks in windows:
        lo = max(0, marks[0][0] - context)
        hi = min(len(text), marks[-1][1] + context)
        runs: list[tuple[str, bool]] = [("…" if lo > 0 else "", False)]
        pos = lo
        for s, e in marks:
            runs.append((squash(text[pos:s]), False))
            runs.append((text[s:e], True))
            pos = e
        runs.append((squash(text[pos:hi]) + ("…" if hi < len(text) else ""), False))
        out.append([r for r in runs if r[0]])
    return out


def _squash(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------- API


def _facets(matches: list[engine.DocMeta], filters: Filters,
            dept_names: dict[int, str]) -> dict[str, list[FacetValue]]:
    # Each dimension counts the hits that pass the other dimensions' filters (drill-down counts). One
    # C-level pass counts the (department, year, kind) combinations; the few combinations are summed up.
    combos = Counter(map(attrgetter("department_id", "year", "kind"), matches))
    want = (filters.department_id, filters.year, filters.kind)
    dept: Counter[Any] = Counter()
    year: Counter[Any] = Counter()
    kind: Counter[Any] = Counter()
    for combo, n in combos.items():
        passes = [w is None or v == w for v, w in zip(combo, want, strict=True)]
        if passes[1] and passes[2]:
            dept[combo[0]] += n
        if passes[0] and passes[2]:
            year[combo[1]] += n
        if passes[0] and passes[1]:
            kind[combo[2]] += n
    return {
        "department": [FacetValue(k, dept_names.get(k, msg("公共区域")) if k is not None else msg("公共区域"), c)
                       for k, c in dept.most_common()],
        "year": [FacetValue(k, str(k) if k else msg("未注明"), c) for k, c in sorted(year.items(), key=_year_key)],
        "kind": [FacetValue(k, k or msg("无扩展名"), c) for k, c in kind.most_common()],
    }


def _year_key(item: tuple[int | None, int]) -> int:
    return -(item[0] or 0)


def search(
    session: Session,
    settings: Settings,
    user: User | None,
    raw_query: str,
    *,
    filters: Filters | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchResult:
    """Search the archive as `user`: one page of hits with snippets, the total and facet counts."""
    started = time.perf_counter()
    filters = filters or Filters()
    query = parse(raw_query)
    result = SearchResult(query=raw_query, page=max(1, page))
    if not query:
        return result
    view = engine.view(settings.index_dir)
    scope = scope_for(user, session)
    with view.lock:
        if not view.refresh():
            result.index_ready = False
            return result
        matches = _matches(view, query, scope)
        dept_names = dict(session.execute(select(Department.id, Department.name)).all())
        result.facets = _facets(matches, filters, dept_names)
        chosen = matches
        if filters.department_id is not None:
            chosen = [m for m in chosen if m.department_id == filters.department_id]
        if filters.year is not None:
            chosen = [m for m in chosen if m.year == filters.year]
        if filters.kind is not None:
            chosen = [m for m in chosen if m.kind == filters.kind]
        if filters.date_from is not None or filters.date_to is not None:
            low = _day_ns(filters.date_from) if filters.date_from else 0
            high = _day_ns(filters.date_to + timedelta(days=1)) if filters.date_to else 2**63
            chosen = [m for m in chosen if low <= m.mtime_ns < high]
        if filters.needs_database:
            wanted = _database_filter(session, filters)
            chosen = [m for m in chosen if m.fid in wanted]
        # One hit per filed 公文: its other files (附件, 处理单, 正本) are folded into the first before
        # counting and paging, so totals, pages and ranks count a 件 once.
        chosen, folded = _fold_filed_items(session, chosen)
        result.total = len(chosen)
        result.pages = max(1, math.ceil(result.total / per_page)) if result.total else 0
        result.page = min(result.page, max(1, result.pages))
        first = (result.page - 1) * per_page
        if sort == "date":
            top = heapq.nlargest(first + per_page, chosen, key=attrgetter("mtime_ns", "fid"))
            scores = {m.fid: 0.0 for m in top}
        else:
            top, scores = _ranked(view, query, chosen, first + per_page)
        page_matches = top[first:]
        stored = {m.fid: view.texts.text(m.offset, m.length) for m in page_matches}
    ids = [m.fid for m in page_matches]
    rows = visible_files(session, user, ids)
    originals = dict(session.execute(select(ArchiveFileText.file_id, ArchiveFileText.text)
                                     .where(ArchiveFileText.file_id.in_(list(rows)))).all()) if rows else {}
    terms = query.highlight_terms
    for m in page_matches:
        row = rows.get(m.fid)
        if row is None:  # gone or no longer visible since the index was written
            continue
        fragments = snippets(originals.get(row.id, ""), terms)
        if not any(match for frag in fragments for _, match in frag):
            fragments = snippets(stored[row.id], terms) or fragments  # the original text differs in form
        result.hits.append(Hit(row, round(scores.get(m.fid, 0.0), 4), fragments))
    _one_hit_per_filed_item(session, result, folded)
    result.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    return result


def _day_ns(day: date) -> int:
    """Return the first nanosecond of `day` in the bureau's zone."""
    return int(datetime.combine(day, datetime.min.time(), tzinfo=BUREAU_ZONE).timestamp()) * 10**9


def _database_filter(session: Session, filters: Filters) -> set[int]:
    """Return the ids of files matching the 文号 / 档号 / outcome filters (substring, case-insensitive)."""
    stmt = select(ArchiveFile.id)
    if filters.archive_number:
        stmt = stmt.where(ArchiveFile.archive_number.ilike(f"%{_like(filters.archive_number)}%", escape="\\"))
    if filters.doc_number:
        numbers = select(FilingRecord.archive_number).where(
            FilingRecord.doc_number.ilike(f"%{_like(filters.doc_number)}%", escape="\\"))
        stmt = stmt.where(ArchiveFile.archive_number.in_(numbers))
    if filters.outcome:
        stmt = stmt.where(ArchiveFile.outcome == filters.outcome)
    return set(session.scalars(stmt))


def _like(text: str) -> str:
    return text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fold_filed_items(session: Session, chosen: list[engine.DocMeta]
                      ) -> tuple[list[engine.DocMeta], dict[int, list[int]]]:
    """Keep one match per filed 公文 (files sharing a 档号 that has a filing record): its lowest file id,
    which filing writes first (the 正文). Return the kept matches and {kept fid: [folded fids]}."""
    groups = dict(session.execute(
        select(ArchiveFile.id, ArchiveFile.archive_number)
        .where(ArchiveFile.archive_number.in_(select(FilingRecord.archive_number)))).all())
    if not groups:
        return chosen, {}
    members: dict[str, list[int]] = {}
    for m in chosen:
        number = groups.get(m.fid)
        if number is not None:
            members.setdefault(number, []).append(m.fid)
    folded: dict[int, list[int]] = {}
    dropped: set[int] = set()
    for fids in members.values():
        if len(fids) > 1:
            fids.sort()
            folded[fids[0]] = fids[1:]
            dropped.update(fids[1:])
    if not dropped:
        return chosen, folded
    return [m for m in chosen if m.fid not in dropped], folded


def _one_hit_per_filed_item(session: Session, result: SearchResult, folded: dict[int, list[int]]) -> None:
    """Mark the hits of filed 公文 (正文, 附件, 处理单 share a 档号) as the 件, linking to the document page,
    with the files folded into it listed as `related`."""
    numbers = {h.file.archive_number for h in result.hits if h.file.archive_number}
    if not numbers:
        return
    records = {r.archive_number: r for r in session.scalars(
        select(FilingRecord).where(FilingRecord.archive_number.in_(numbers)))}
    related_ids = [fid for h in result.hits for fid in folded.get(h.file.id, ())]
    related = {f.id: f for f in session.scalars(select(ArchiveFile).where(ArchiveFile.id.in_(related_ids)))
               } if related_ids else {}
    for hit in result.hits:
        record = records.get(hit.file.archive_number or "")
        if record is None:
            continue
        hit.document_id, hit.doc_number = record.document_id, record.doc_number
        hit.related = [related[fid] for fid in folded.get(hit.file.id, ()) if fid in related]


def matching_ids(settings: Settings, scope: Scope, raw_query: str) -> list[tuple[int, float]]:
    """Return every hit within `scope` as (file id, score), best first (for scripts and tests)."""
    query = parse(raw_query)
    if not query:
        return []
    view = engine.view(settings.index_dir)
    with view.lock:
        if not view.refresh():
            return []
        matches = _matches(view, query, scope)
        scores = _score(view, query, matches)
    return sorted(((fid, round(score, 4)) for fid, score in scores.items()), key=lambda item: (-item[1], item[0]))


def original_text(session: Session, file_id: int) -> str:
    """Return the extracted text of a file as stored in the database ("" when none)."""
    return session.scalar(select(ArchiveFileText.text).where(ArchiveFileText.file_id == file_id)) or ""
