"""Strategic-emerging-industry test of CNIPA's high-value-patent flag (1), vectorised.

Data: ``params/strategic_emerging_2021.json``, the whole of CNIPA's
《战略性新兴产业分类与国际专利分类参照关系表（2021）（试行）》 (国知办函规字〔2021〕121号): 309 rules over
the 40 industry codes ("1.1" … "9.2") of 战略性新兴产业分类(2018). Transcribed from the table's own
patterns as kept by ``vvangpc/pr-re`` (303 rules, six of which pr-re had merged from two table rows
and are split back here), cross-checked against ``roy-tian/cn-patent-ipc`` (MIT, 321 rows); the
file's ``meta`` holds the sources, commit ids and the known differences between the copies.

Pattern semantics (the table's; IPC strings as ``valuation.portfolio.parse_ipc`` gives them):

* ``C08*`` — a whole class; ``G06F*`` or ``G16H`` — a whole subclass;
* ``G06F11*`` or bare ``H03M13`` — a whole main group (``G06F 11`` and every ``G06F 11/…``);
* ``H01M10/052`` — that subgroup and the subgroups whose digits extend it (``H01M 10/0525``).
  IPC numbers a subgroup's children by appending digits far more often than not, and the table
  relies on it: ``G08G5*`` minus ``G08G5/00`` must drop the old ``G08G 5/0004…`` children too.
  ``/00`` is the main-group headline entry (plus ``/00…`` children), *not* the whole main group:
  the table excludes ``A01H1/00`` from ``A01H1*`` and ``G08G5/00`` from ``G08G5*``, which only
  makes sense that way. Hierarchy that is not visible in the digits (e.g. ``/38`` indented under
  ``/36``) is not followed — the table lists such children explicitly where it wants them.
* exclusions (不含/不包括) use the same patterns and remove matches of their own rule only.

A patent is compared at the level it is known: ``"H01M"`` matches class/subclass rules only,
``"H01M 10"`` also whole-main-group rules, never subgroup rules; an exclusion finer than the
patent's known level does not apply. ``""`` (unknown IPC) matches nothing.

Keywords: a *keyword-gated* rule needs its IPC match and a title containing one of its derived
terms; an unknown title (``""``) lets it pass on the IPC alone and the row is flagged
``ipc_only`` when no other matching rule stands without a keyword. The one gated rule whose cell
names no keyword ("产品相关关键词", 2.1) always rests on the IPC alone. Four keyword cells are
negative notes (不包含非机动车 …): those rules are not gated, a known title containing the excluded
term does not match.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

TABLE_PATH = Path(__file__).parent / "params" / "strategic_emerging_2021.json"

# rule kinds
_FREE, _NEG, _GATED, _UNTESTABLE = range(4)
_PATTERN = re.compile(r"^([A-H]\d\d)([A-Z])?(?:(\d{1,3})(?:/(\d{1,6}))?)?(\*)?$")
_TOP = "\U0010ffff"  # sorts after every character: upper bound of a prefix range


@dataclass(frozen=True)
class StrategicMatch:
    """Per patent: ``hit`` matches some rule (IPC pattern, not excluded, keyword test passed or
    title unknown); ``ipc_only`` the match rests on the IPC alone because every matching rule is
    keyword-gated and the keyword could not be tested; ``industry`` ``"1.1 下一代信息网络产业"`` of the
    first matching rule in table order, None if none; ``rule`` its 1-based number in the data
    file, 0 if none."""

    hit: np.ndarray  # bool
    ipc_only: np.ndarray  # bool
    industry: np.ndarray  # object: str | None
    rule: np.ndarray  # int16


@dataclass(frozen=True)
class StrategicTable:
    meta: dict[str, Any]
    industries: tuple[dict[str, Any], ...]
    rules: tuple[dict[str, Any], ...]


def _prefixes(pattern: str) -> tuple[tuple[str, bool], ...]:
    """Table pattern → (string, exact?) pairs covering the normalised IPC strings it matches: the
    exact string plus string + '/' for a main group, so that ``G06F 1`` never covers ``G06F 11``."""
    m = _PATTERN.match(pattern)
    if not m:
        raise ValueError(f"unreadable IPC pattern {pattern!r} in {TABLE_PATH.name}")
    cls, sub, main, group, _star = m.groups()
    if sub is None:
        return ((cls, False),)  # class: every subclass of it
    subclass = cls + sub
    if main is None:
        return ((subclass, True), (subclass + " ", False))
    main_group = f"{subclass} {int(main)}"
    if group is None:
        return ((main_group, True), (main_group + "/", False))
    return ((f"{main_group}/{group}", False),)


@cache
def load_strategic_table() -> StrategicTable:
    """The data file, parsed once: metadata, the 40 industries and the rules in table order."""
    data = json.loads(TABLE_PATH.read_text(encoding="utf-8"))
    return StrategicTable(meta=data["meta"], industries=tuple(data["industries"]), rules=tuple(data["rules"]))


@dataclass(frozen=True)
class _Compiled:
    kind: np.ndarray  # int8 per rule
    label: np.ndarray  # object per rule
    pos: tuple[np.ndarray, np.ndarray, np.ndarray]  # (prefix str, exact bool, rule int), one per prefix
    neg: tuple[np.ndarray, np.ndarray, np.ndarray]
    terms: tuple[tuple[str, ...], ...]  # keywords (gated) or title exclusions (negative notes)


@cache
def _compiled() -> _Compiled:
    table = load_strategic_table()
    kind, label, terms = [], [], []
    pos: list[tuple[str, bool, int]] = []
    neg: list[tuple[str, bool, int]] = []
    for r, rule in enumerate(table.rules):
        pos += [(p, exact, r) for pattern in rule["ipc"] for p, exact in _prefixes(pattern)]
        neg += [(p, exact, r) for pattern in rule["exclude"] for p, exact in _prefixes(pattern)]
        label.append(f"{rule['code']} {rule['industry']}")
        if rule["title_exclude"]:
            kind.append(_NEG)
            terms.append(tuple(rule["title_exclude"]))
        elif rule["gated"]:
            kind.append(_GATED if rule["keywords"] else _UNTESTABLE)
            terms.append(tuple(rule["keywords"]))
        else:
            kind.append(_FREE)
            terms.append(())
    return _Compiled(
        kind=np.array(kind, dtype=np.int8),
        label=np.array(label, dtype=object),
        pos=_columns(pos),
        neg=_columns(neg),
        terms=tuple(terms),
    )


def _columns(items: list[tuple[str, bool, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array([p for p, _, _ in items], dtype=str),
        np.array([e for _, e, _ in items], dtype=bool),
        np.array([r for _, _, r in items], dtype=np.int64),
    )


# At most this many distinct IPCs (an estimate's few patents), each one's covering prefixes are
# looked up by its own leading substrings rather than by binary searches of all ~4,000 prefixes.
_FEW_DISTINCT = 32


@cache
def _by_prefix(table: str) -> dict[str, tuple[tuple[bool, int], ...]]:
    """``_compiled().pos`` or ``.neg`` (``table``) as prefix → its (exact, rule) pairs."""
    prefix, exact, rule = getattr(_compiled(), table)
    lookup: dict[str, list[tuple[bool, int]]] = {}
    for p, e, r in zip(prefix.tolist(), exact.tolist(), rule.tolist(), strict=True):
        lookup.setdefault(p, []).append((e, r))
    return {p: tuple(pairs) for p, pairs in lookup.items()}


def _covers(
    distinct: np.ndarray, prefixes: tuple[np.ndarray, np.ndarray, np.ndarray], n_rules: int, table: str | None = None
) -> np.ndarray:
    """[distinct IPC, rule] bool: some prefix of the rule covers the IPC. ``distinct`` is sorted,
    so the strings starting with a prefix form one slice found by two binary searches; for a few
    distinct IPCs, ``table`` (``"pos"``/``"neg"``, naming ``prefixes`` in ``_compiled()``) looks up
    each IPC's leading substrings instead: the same matrix (a prefix covers exactly the strings that
    start with it, an exact one only itself)."""
    prefix, exact, rule = prefixes
    out = np.zeros((distinct.size, n_rules), dtype=bool)
    if distinct.size == 0 or prefix.size == 0:
        return out
    if table is not None and distinct.size <= _FEW_DISTINCT:
        lookup = _by_prefix(table)
        for i, ipc in enumerate(distinct.tolist()):
            for k in range(len(ipc) + 1):
                for is_exact, r in lookup.get(ipc[:k], ()):
                    if k == len(ipc) or not is_exact:
                        out[i, r] = True
        return out
    lo = np.searchsorted(distinct, prefix, side="left")
    hi = np.where(
        exact, np.searchsorted(distinct, prefix, side="right"), np.searchsorted(distinct, np.char.add(prefix, _TOP))
    )
    covering = np.nonzero(hi > lo)[0]  # few for a small batch: visit only those of the ~4,000 prefixes
    for a, b, r in zip(lo[covering].tolist(), hi[covering].tolist(), rule[covering].tolist(), strict=True):
        out[a:b, r] = True
    return out


def _rows_of(distinct_idx: np.ndarray, order: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Row indices of the patents whose distinct IPC is in ``distinct_idx`` (ragged gather)."""
    lens = starts[distinct_idx + 1] - starts[distinct_idx]
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts[distinct_idx] - (np.cumsum(lens) - lens), lens)
    return order[offsets + np.arange(total)]


def _contains_any(titles: np.ndarray, terms: tuple[str, ...]) -> np.ndarray:
    found = np.zeros(titles.size, dtype=bool)
    for term in terms:
        found |= np.char.find(titles, term) >= 0
    return found


# Code points str.strip() removes.
_WHITESPACE = np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint32)
# None as a 0-d object array: np.equal(arr, _NONE) is the elementwise ``v == None`` of an object array.
_NONE = np.array(None, dtype=object)


def _clean(values: Any) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype.kind == "U":  # a Portfolio's column: no None
        values = values.ravel()
        if values.size == 0 or values.itemsize == 0:
            return values
        if values.size <= _FEW_DISTINCT:  # a few strings: str.strip each (numpy's set-up costs more)
            listed = values.tolist()
            stripped = [v.strip() for v in listed]
            return values if stripped == listed else np.array(stripped, dtype=values.dtype)
        # Strip only the strings that start or end with whitespace (most have none): their first
        # and last characters read from the fixed-width UTF-32 buffer.
        chars = values.view(np.uint32).reshape(values.size, -1)
        last = np.maximum(np.strings.str_len(values), 1) - 1
        edges = np.concatenate([chars[:, 0], chars[np.arange(values.size), last]])
        padded = np.isin(edges, _WHITESPACE).reshape(2, -1).any(axis=0)
        if not padded.any():
            return values
        out = values.copy()
        out[padded] = np.char.strip(values[padded])
        return out
    arr = np.asarray(values, dtype=object).ravel()
    arr = np.where(np.equal(arr, _NONE), "", arr)
    return np.char.strip(arr.astype(str))


def match_strategic(
    ipc: np.ndarray, title: np.ndarray, codes: tuple[np.ndarray, np.ndarray] | None = None
) -> StrategicMatch:
    """Evaluate the 2021 concordance for each patent (see the module docstring for the semantics).

    ``ipc``: normalised IPC strings (``"H01M 10/052"``, ``"H01M 10"``, ``"H01M"``, ``""``);
    ``title``: Chinese titles, ``""`` (or None) when unknown. Rules are evaluated once per distinct
    IPC string; keyword tests run only on rows with a known title whose IPC makes them matter.
    ``codes``: the sorted distinct normalised IPCs and each row's index into them, when the caller
    has them (``Portfolio.ipc_codes["group"]``): saves the string sort.
    """
    titles = _clean(title)
    if codes is None:
        ipc_arr = _clean(ipc)
        distinct, inv = np.unique(ipc_arr, return_inverse=True)
    else:
        distinct, inv = _clean(codes[0]), np.asarray(codes[1])
    if inv.size != titles.size:
        raise ValueError(f"ipc and title differ in length: {inv.size} vs {titles.size}")
    n = titles.size
    c = _compiled()
    n_rules = c.kind.size
    inv = inv.ravel()
    cand = _covers(distinct, c.pos, n_rules, "pos") & ~_covers(distinct, c.neg, n_rules, "neg")
    cand[distinct == ""] = False

    no_rule = n_rules
    free = (c.kind == _FREE) | (c.kind == _UNTESTABLE)  # pass whatever the title
    standalone = (c.kind == _FREE) | (c.kind == _NEG)  # need no keyword: a pass is not "IPC only"

    def first(mask: np.ndarray) -> np.ndarray:
        return np.where(mask.any(axis=1), mask.argmax(axis=1), no_rule)

    first_free_u = first(cand & free)
    first_any_u = first(cand)
    conf_free_u = (cand & (c.kind == _FREE)).any(axis=1)
    conf_any_u = (cand & standalone).any(axis=1)

    known = titles != ""
    first_rule = np.where(known, first_free_u[inv], first_any_u[inv])
    confirmed = np.where(known, conf_free_u[inv], conf_any_u[inv])

    # Keyword / negative-note tests: only rules that could change the first rule or confirm it.
    # Rows grouped by distinct IPC; 16-bit codes sort by radix (numpy's stable sort), in linear time.
    order = np.argsort(inv.astype(np.uint16) if distinct.size <= 1 << 16 else inv, kind="stable")
    starts = np.searchsorted(inv[order], np.arange(distinct.size + 1))
    # Which distinct IPCs need each keyword rule tested, for all rules at once; only the rules some
    # IPC needs are visited (a one-patent estimate needs a few of the ~300).
    tested = np.nonzero((c.kind == _GATED) | (c.kind == _NEG))[0]
    needs = cand[:, tested] & ((tested[None, :] < first_free_u[:, None]) | ~conf_free_u[:, None])
    for j in np.nonzero(needs.any(axis=0))[0].tolist():
        r = int(tested[j])
        need = np.nonzero(needs[:, j])[0]
        rows = _rows_of(need, order, starts)
        rows = rows[known[rows]]
        if rows.size == 0:
            continue
        found = _contains_any(titles[rows], c.terms[r])
        passed = rows[~found] if c.kind[r] == _NEG else rows[found]
        first_rule[passed] = np.minimum(first_rule[passed], r)
        confirmed[passed] = True

    hit = first_rule < no_rule
    industry = np.full(n, None, dtype=object)
    industry[hit] = c.label[first_rule[hit]]
    return StrategicMatch(
        hit=hit,
        ipc_only=hit & ~confirmed,
        industry=industry,
        rule=np.where(hit, first_rule + 1, 0).astype(np.int16),
    )
