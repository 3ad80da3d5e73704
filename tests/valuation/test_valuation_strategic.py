"""valuation.strategic: the 2021 strategic-emerging-industry concordance and its matcher.

Expected verdicts below were worked out by hand from the source rows (vvangpc/pr-re
data/zhanlue_*.js, cross-checked with roy-tian/cn-patent-ipc data/sei.jsonl), not from the code.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from valuation.strategic import load_strategic_table, match_strategic

# pr-re rules per industry (303 in all); the six split rules (see the data file's metadata) add one
PR_RE_COUNTS = {
    "1.1": 5, "1.2": 7, "1.3": 5, "1.4": 4, "1.5": 7, "2.1": 18, "2.2": 2, "2.3": 4, "2.4": 5, "2.5": 11,
    "3.1": 17, "3.2": 30, "3.3": 22, "3.4": 23, "3.5": 7, "3.6": 11, "3.7": 2, "4.1": 5, "4.2": 4, "4.3": 8,
    "4.4": 3, "4.5": 4, "5.1": 2, "5.2": 5, "5.3": 4, "5.4": 1, "6.1": 3, "6.2": 3, "6.3": 6, "6.4": 7,
    "6.5": 3, "7.1": 19, "7.2": 14, "7.3": 13, "8.1": 3, "8.2": 5, "8.3": 1, "8.4": 1, "9.1": 7, "9.2": 2,
}  # fmt: skip
SPLIT_CODES = ("1.3", "2.1", "5.1", "6.1", "6.2", "6.4")
# roy-tian rows with no rule of their own: page-break halves (181, 281) and keyword-less rows that
# pr-re folded into a neighbour or lacks (see known_differences)
ROY_UNASSIGNED = {1, 5, 53, 93, 181, 193, 194, 200, 212, 252, 255, 281}


def run(rows: list[tuple[str, str]]):
    return match_strategic(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))


# --- (a) counts -------------------------------------------------------------------------------


def test_counts_match_the_sources():
    table = load_strategic_table()
    assert len(table.rules) == 309 == 303 + len(SPLIT_CODES)
    assert len(table.industries) == 40
    assert {i["code"] for i in table.industries} == set(PR_RE_COUNTS)
    expected = Counter(PR_RE_COUNTS) + Counter(SPLIT_CODES)
    assert Counter(r["code"] for r in table.rules) == expected
    assert [r["rule"] for r in table.rules] == list(range(1, 310))
    counts = table.meta["counts"]
    assert counts["rules"] == 309 and counts["pr_re_rules"] == 303 and counts["roy_tian_rules"] == 321
    assert counts["keyword_gated_rules"] == sum(r["gated"] for r in table.rules) == 282
    assert sum(1 for r in table.rules if not r["keywords_text"]) == 21  # 15 in pr-re + 6 split halves
    roy = [r["roy_tian_id"] for r in table.rules]
    assert len(set(roy)) == 309 and set(roy) == set(range(1, 322)) - ROY_UNASSIGNED


def test_metadata_cites_sources_and_commits():
    meta = load_strategic_table().meta
    assert meta["document_number"] == "国知办函规字〔2021〕121号" and meta["effective"] == "2021"
    copies = {s["copy"]: s for s in meta["sources"]}
    assert set(copies) == {"vvangpc/pr-re", "roy-tian/cn-patent-ipc"}
    for s in copies.values():
        assert s["licence"] and all(re.fullmatch(r"[0-9a-f]{40}", c) for c in s["files"].values())
    assert "MIT" in copies["roy-tian/cn-patent-ipc"]["licence"]
    assert len(meta["known_differences"]) >= 8


def test_every_pattern_is_readable_and_industries_consistent():
    table = load_strategic_table()
    names = {i["code"]: i["name"] for i in table.industries}
    pattern = re.compile(r"[A-H]\d\d(\*|[A-Z](\d{1,3}(/\d{2,6})?)?\*?)")
    for r in table.rules:
        assert names[r["code"]] == r["industry"]
        assert r["ipc"] and all(pattern.fullmatch(p) for p in r["ipc"] + r["exclude"]), r["rule"]
        assert not (r["gated"] and r["title_exclude"])


# --- (b) hand-checked sample --------------------------------------------------------------------

W = "6.2 风能产业"
SAMPLE = [
    # 6.2: F03D1/3/5/7/17 form the keyword-less row (roy-tian 233), E02D27/F03D13 the 海上风电 row
    ("F03D 7/02", "一种风力发电机变桨控制方法", True, False, W),
    ("F03D 13/20", "一种塔筒法兰", False, False, None),
    ("F03D 13/20", "海上风电设备安装方法", True, False, W),
    ("F03D 13/20", "", True, True, W),
    # 2.1: B25J9* is in the keyword-less row (roy-tian 32); A01B* needs 智能农业动力机械
    ("B25J 9/16", "一种机械臂", True, False, "2.1 智能制造装备产业"),
    ("A01B 1/00", "一种犁", False, False, None),
    ("A01B 1/00", "智能农业动力机械", True, False, "2.1 智能制造装备产业"),
    # 2.1 keyword-less row excludes B23C3/35 (and 3.2 excludes all of B23C3*)
    ("B23C 3/35", "", False, False, None),
    ("B23C 3/30", "", True, False, "2.1 智能制造装备产业"),
    # 1.5 G06N3/08 needs 人工智能… terms; 1.4 excludes G06N3/08 from G06N*
    ("G06N 3/08", "一种神经网络训练方法", False, False, None),
    ("G06N 3/08", "", True, True, "1.5 人工智能"),
    # 1.3 bare main group H03M13 (blockchain keywords)
    ("H03M 13/11", "区块链数据校验", True, False, "1.3 新兴软件和新型信息技术服务"),
    # 5.2 lists H01M10/05, /052, /0525 with 汽车相关关键词; subgroup rules only
    ("H01M 10/0525", "一种汽车动力电池", True, False, "5.2 新能源汽车装置、配件制造"),
    ("H01M 10/0525", "一种锂离子电池", False, False, None),
    ("H01M 10/06", "汽车", False, False, None),
    ("H01M 10", "汽车", False, False, None),  # main group known only: subgroup rules do not apply
    ("H01M", "", False, False, None),  # subclass known only: no H01M subclass rule
    # 6.3 keyword-less F24S25* minus F24S25/00, /20, /30, /617, /70
    ("F24S 25/10", "", True, False, "6.3 太阳能产业"),
    ("F24S 25/20", "", False, False, None),
    ("F24S 25/61", "", True, False, "6.3 太阳能产业"),
    ("F24S 25/617", "", False, False, None),
    # 5.1 B60K1* with the note 不包含非机动车; B60K11* is another main group (keyword 新能源车整车)
    ("B60K 1/04", "电动汽车电池布置", True, False, "5.1 新能源汽车整车制造"),
    ("B60K 1/04", "一种非机动车电驱系统", False, False, None),
    ("B60K 11/04", "电动汽车冷却", False, False, None),
    # 2.2 B64C27* with the note 不包括航天相关设备制造
    ("B64C 27/08", "无人直升机旋翼", True, False, "2.2 航空装备产业"),
    ("B64C 27/08", "航天器着陆腿", False, False, None),
    # subclass-level patterns: 1.3 G16* (gated), 3.6 B82Y* (keyword-less, B82Y10/00 excluded)
    ("G16H", "", True, True, "1.3 新兴软件和新型信息技术服务"),
    ("B82Y", "", True, False, "3.6 前沿新材料"),
    ("F03D", "", False, False, None),  # F03D rules are all main-group level
    # 3.6 class pattern C08* minus C08B…/C08F/C08G/C08J/C08K/C08L
    ("C08H 1/00", "形状记忆高分子聚合物及其制备", True, False, "3.6 前沿新材料"),
    ("C08H 1/00", "一种木质素", False, False, None),
    # A61B5*: excluded from 4.2, gated 人脑/癫痫 in 1.5
    ("A61B 5/00", "一种癫痫发作检测装置", True, False, "1.5 人工智能"),
    ("A61B 5/00", "血压计", False, False, None),
    ("A61B 17/00", "", True, True, "4.2 生物医学工程产业"),
    # /00 is the headline entry only: 7.3 C10G1/00 (keyword-less) vs C10G 1/02
    ("C10G 1/00", "x", True, False, "7.3 资源循环利用产业"),
    ("C10G 1/02", "", False, False, None),
    ("G01N 3/08", "x", True, False, "3.7 新材料相关服务"),
    ("G01N 3/06", "", False, False, None),
    # 2.1 B29C64*: keyword cell "产品相关关键词" names no keyword → IPC alone
    ("B29C 64/118", "一种3D打印机喷头", True, True, "2.1 智能制造装备产业"),
    # 1.2 keyword-less G06N10/00 comes before 1.4 (which excludes G06N10*)
    ("G06N 10/00", "x", True, False, "1.2 电子核心产业"),
    # 8.4 G06Q30* minus G06Q30/00, G06Q30/06 (and its digit extensions)
    ("G06Q 30/02", "互联网广告投放方法", True, False, "8.4 数字创意与融合服务"),
    ("G06Q 30/0601", "互联网广告", False, False, None),
    # 1.1 excludes G06F1/16 from G06F1*; 1.5 lists it with 可穿戴… keywords
    ("G06F 1/16", "一种手表", False, False, None),
    ("G06F 1/16", "可穿戴智能设备", True, False, "1.5 人工智能"),
    ("", "一种锂离子电池", False, False, None),  # unknown IPC
]


@pytest.mark.parametrize(("ipc", "title", "hit", "ipc_only", "industry"), SAMPLE)
def test_hand_checked_sample(ipc, title, hit, ipc_only, industry):
    m = run([(ipc, title)])
    assert (bool(m.hit[0]), bool(m.ipc_only[0]), m.industry[0]) == (hit, ipc_only, industry)
    assert (m.rule[0] > 0) == hit


def test_sample_as_one_batch_equals_row_by_row():
    m = run([(i, t) for i, t, *_ in SAMPLE])
    assert m.hit.tolist() == [s[2] for s in SAMPLE]
    assert m.ipc_only.tolist() == [s[3] for s in SAMPLE]
    assert m.industry.tolist() == [s[4] for s in SAMPLE]


def test_none_titles_count_as_unknown():
    m = match_strategic(np.array(["F03D 13/20", "H01M 10/0525"], dtype=object), np.array([None, None], dtype=object))
    assert m.hit.tolist() == [True, True] and m.ipc_only.tolist() == [True, True]


# --- (c) properties -------------------------------------------------------------------------------


def _covers_table_form(pattern: str, code: str) -> bool:
    """Independent reading of a table pattern against a code in table form ('G06F11/14')."""
    if pattern.endswith("*"):
        stem = pattern[:-1]
        return code == stem or code.startswith(stem + ("/" if re.search(r"\d$", stem) and len(stem) > 4 else ""))
    return code.startswith(pattern) if "/" in pattern else code == pattern or code.startswith(pattern + "/")


def test_more_specific_ipc_of_a_matching_main_group_still_matches():
    table = load_strategic_table()
    main_groups = sorted(
        {m.group(1) for r in table.rules for p in r["ipc"] if (m := re.fullmatch(r"([A-H]\d\d[A-Z]\d{1,3})\*?", p))}
    )

    def norm(code: str) -> str:
        sub, main = code[:4], code[4:]
        return f"{sub} {main}"

    rows = [(norm(g), "") for g in main_groups]
    base = run(rows)
    assert base.hit.sum() > 100
    subs = ("00", "02", "10", "123", "1234")
    hits = [
        (g, ipc, rule) for (ipc, _), g, hit, rule in zip(rows, main_groups, base.hit, base.rule, strict=True) if hit
    ]
    finer = run([(f"{ipc}/{s}", "") for _, ipc, _ in hits for s in subs])  # one batch
    for k, (g, _, rule) in enumerate(hits):
        excl = table.rules[rule - 1]["exclude"]
        for j, s in enumerate(subs):
            assert finer.hit[k * len(subs) + j] or any(_covers_table_form(x, f"{g}/{s}") for x in excl), (g, s)


def test_batch_independence_order_and_company():
    rng = np.random.default_rng(7)
    rows = [(i, t) for i, t, *_ in SAMPLE]
    alone = run(rows)
    noise = [("H04W 72/04", "一种资源分配方法"), ("C12N 15/10", ""), ("Y02E 10/50", ""), ("A61K 31/4439", "药物")] * 50
    big = rows + noise
    perm = rng.permutation(len(big))
    shuffled = run([big[k] for k in perm])
    back = np.empty(len(big), dtype=np.int64)
    back[perm] = np.arange(len(big))
    for field in ("hit", "ipc_only", "industry", "rule"):
        got = getattr(shuffled, field)[back][: len(rows)]
        assert got.tolist() == getattr(alone, field).tolist(), field


def test_empty_input():
    m = match_strategic(np.array([], dtype=str), np.array([], dtype=str))
    assert m.hit.shape == m.ipc_only.shape == m.industry.shape == m.rule.shape == (0,)


def test_mismatched_lengths_rejected():
    with pytest.raises(ValueError):
        match_strategic(np.array(["H01M"]), np.array([]))
