"""Pure logic of the search's large-result shortcuts: they must give what scoring every hit would."""

from __future__ import annotations

import heapq
import random
from collections import Counter
from types import SimpleNamespace

from library import search
from library.engine import DocMeta
from library.query import parse


def _metas(n: int, seed: int = 7) -> list[DocMeta]:
    rnd = random.Random(seed)
    titles = ["关于森林防火的通知", "服务型政府建设报告", "年度工作总结", "林业服务指南", "会议纪要"]
    return [
        DocMeta(fid, 0, rnd.choice([900, 1200, 1400, 1400, 2000]), rnd.choice([None, 1, 2, 3]),
                rnd.choice([None, 2023, 2024, 2025]), 0, False, rnd.randrange(10**6),
                rnd.choice(["docx", "pdf", "txt"]), f"f{fid}.docx", rnd.choice(titles))
        for fid in rnd.sample(range(1, 10 * n), n)
    ]


def test_large_result_ranking_equals_scoring_every_hit():
    view = SimpleNamespace(average_length=1350.0, texts=SimpleNamespace(data=b""))
    matches = _metas(search.SCORE_COUNT_LIMIT * 3)
    for raw in ("服务", "服务 政府", "森林 OR 会议", "filename:docx"):
        query = parse(raw)
        full = search._score(view, query, matches, count_occurrences=False)
        for count in (20, 40, 200):
            expected = heapq.nlargest(count, matches, key=lambda m: (full[m.fid], -m.fid))
            top, scores = search._ranked(view, query, matches, count)
            assert [m.fid for m in top] == [m.fid for m in expected], (raw, count)
            assert all(scores[m.fid] == full[m.fid] for m in top)


def test_facet_counts_equal_counting_each_dimension_with_the_other_filters():
    matches = _metas(3000, seed=11)
    names = {1: "办公室", 2: "林政资源管理处", 3: "造林绿化处"}
    for filters in (search.Filters(), search.Filters(department_id=2), search.Filters(year=2024, kind="pdf"),
                    search.Filters(department_id=1, year=2023, kind="txt")):
        facets = search._facets(matches, filters, names)

        def narrowed(skip: str, f: search.Filters = filters) -> list[DocMeta]:
            return [m for m in matches
                    if (skip == "department" or f.department_id is None or m.department_id == f.department_id)
                    and (skip == "year" or f.year is None or m.year == f.year)
                    and (skip == "kind" or f.kind is None or m.kind == f.kind)]

        for dim, attr in (("department", "department_id"), ("year", "year"), ("kind", "kind")):
            expected = Counter(getattr(m, attr) for m in narrowed(dim))
            assert {v.value: v.count for v in facets[dim]} == dict(expected), (filters, dim)
