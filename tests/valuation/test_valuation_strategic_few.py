"""valuation.strategic's path for a few distinct IPCs (an estimate's): the same matrix and match
as the binary-search path it stands in for, on every table prefix and strings around them."""

from __future__ import annotations

import random

import numpy as np

from valuation.strategic import _FEW_DISTINCT, _clean, _compiled, _covers, match_strategic


def _strings_around_prefixes() -> list[str]:
    """Every table prefix, each with and without a trailing blank, extended by a group, truncated,
    and some malformed or unknown strings."""
    c = _compiled()
    out = {""}
    for prefix in [*c.pos[0].tolist(), *c.neg[0].tolist()]:
        out |= {prefix, prefix.strip(), prefix + "1", prefix + "/00", prefix + "0/12", prefix[:-1], prefix + " 3/04"}
    out |= {"Z99Z 1/1", "H", "H01", "H01M", "H01M 10", "H01M 10/052", "G06F 11", "G06F 1", "G06F 1/16"}
    return sorted(out)


def test_few_distinct_covers_equals_the_binary_search_path():
    c = _compiled()
    strings = _strings_around_prefixes()
    rng = random.Random(15)
    for table in ("pos", "neg"):
        prefixes = getattr(c, table)
        for start in range(0, len(strings), _FEW_DISTINCT):  # every string, in sorted groups
            distinct = np.array(strings[start : start + _FEW_DISTINCT])
            few = _covers(distinct, prefixes, c.kind.size, table)
            assert np.array_equal(few, _covers(distinct, prefixes, c.kind.size)), distinct
        for _ in range(200):  # random small sets
            distinct = np.array(sorted(set(rng.sample(strings, rng.randint(1, _FEW_DISTINCT)))))
            assert np.array_equal(
                _covers(distinct, prefixes, c.kind.size, table), _covers(distinct, prefixes, c.kind.size)
            )


def test_few_titles_are_stripped_as_many_are():
    titles = ["一种光伏逆变器", " 一种果汁压榨装置", "锂电池\u3000", "\t数控机床 ", "", "图像 识别"]
    many = np.array(titles * (_FEW_DISTINCT + 1))
    expected = _clean(many)[: len(titles)]
    for k in range(1, len(titles) + 1):
        few = _clean(np.array(titles[:k]))
        assert few.tolist() == expected[:k].tolist()
    unpadded = np.array(["一种光伏逆变器", "图像 识别"])
    assert _clean(unpadded).tolist() == unpadded.tolist()


def test_a_few_patents_match_as_they_do_among_many():
    strings = _strings_around_prefixes()
    rng = random.Random(7)
    titles = ["一种光伏逆变器的控制方法", "基于深度学习的图像识别方法", "", "一种锂离子电池正极材料", " 电机 "]
    ipcs = rng.sample(strings, 400)
    rows_title = [rng.choice(titles) for _ in ipcs]
    many = match_strategic(np.array(ipcs), np.array(rows_title))
    for start in range(0, len(ipcs), 5):
        few = match_strategic(np.array(ipcs[start : start + 5]), np.array(rows_title[start : start + 5]))
        part = slice(start, start + 5)
        assert few.hit.tolist() == many.hit[part].tolist()
        assert few.ipc_only.tolist() == many.ipc_only[part].tolist()
        assert few.industry.tolist() == many.industry[part].tolist()
        assert few.rule.tolist() == many.rule[part].tolist()
