"""Demo enterprises: names, credit codes, towns, contacts, size, certifications, financing need.

Each enterprise carries a latent *capability* (standard-normal scale) that the later stages use:
capable firms hold more patents, better credit grades and the certifications. The latent value
stays inside the generator; it is not an import column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from service.identifiers import CREDIT_ALPHABET, credit_check_char

from . import cells
from .county import CLUSTER_SHARES, REGION_CODE, TOWN_WEIGHTS, TOWNS
from .vocabulary import (
    GIVEN_NAME_CHARS,
    INDUSTRY_WORDS,
    NAME_PREFIXES,
    NAME_SUFFIXES,
    SURNAME_WEIGHTS,
    SURNAMES,
    TRADE_NAME_CHARS,
)

HIGH_TECH_SHARE = 0.20
SPECIALIZED_SHARE = 0.08
NEED_SHARE = 0.40
# Clusters whose firms more often qualify as high-tech (illustrative).
_CLUSTER_CAPABILITY = {"green_consumer": -0.2, "equipment_manufacturing": 0.1, "energy_electronics": 0.4, "other": -0.3}
_MOBILE_PREFIXES = (
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "173",
    "177",
    "180",
    "181",
    "182",
    "187",
    "188",
    "189",
    "191",
    "199",
)
# GB 11714 organisation code: weights of its first 8 characters.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass
class Enterprise:
    credit_code: str
    name: str
    industry_cluster: str
    town: str
    contact_person: str
    contact_phone: str
    employees: int
    capability: float
    high_tech_date: date | None = None
    specialized_date: date | None = None
    ip_advantage_date: date | None = None
    ip_standard_date: date | None = None
    need_amount_yuan: int | None = None
    need_term_months: int | None = None
    # Operating revenue (营业收入), yuan: not an import column; :mod:`service.demo.revenue` sets it
    # and derives the revenue of the products using the firm's patents from it.
    revenue_yuan: int = 0

    def row(self) -> dict[str, str]:
        return {
            "credit_code": self.credit_code,
            "name": self.name,
            "industry_cluster": self.industry_cluster,
            "town": self.town,
            "contact_person": self.contact_person,
            "contact_phone": self.contact_phone,
            "employees": cells.count(self.employees),
            "high_tech_date": cells.day(self.high_tech_date),
            "specialized_date": cells.day(self.specialized_date),
            "ip_advantage_date": cells.day(self.ip_advantage_date),
            "ip_standard_date": cells.day(self.ip_standard_date),
            "need_amount_yuan": cells.yuan(self.need_amount_yuan),
            "need_term_months": cells.count(self.need_term_months),
        }


def random_date(rng: np.random.Generator, start: date, end: date) -> date:
    """A uniformly drawn day in [start, end]."""
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _weighted(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=size, p=w / w.sum())


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """Chinese personal names: a surname and one or two given-name characters."""
    surname = _weighted(rng, SURNAME_WEIGHTS, n)
    given = rng.integers(0, len(GIVEN_NAME_CHARS), size=(n, 2))
    two = rng.random(n) < 0.6
    return [
        SURNAMES[s] + GIVEN_NAME_CHARS[g[0]] + (GIVEN_NAME_CHARS[g[1]] if t else "")
        for s, g, t in zip(surname.tolist(), given.tolist(), two.tolist(), strict=True)
    ]


def mobile_phones(rng: np.random.Generator, n: int) -> list[str]:
    prefix = rng.integers(0, len(_MOBILE_PREFIXES), size=n)
    number = rng.integers(0, 10**8, size=n)
    return [f"{_MOBILE_PREFIXES[p]}{x:08d}" for p, x in zip(prefix.tolist(), number.tolist(), strict=True)]


def _organisation_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` GB 11714 organisation codes (8 characters + check) as an (n, 9) array of characters.

    Codes issued since 2015 start with ``MA``; older ones are 8 digits. The check character is
    11 − Σ cᵢ·wᵢ mod 11 (weights 3,7,9,10,5,8,4,2; letters count 10–35), 10 → X, 11 → 0.
    """
    alphabet = np.array(list(CREDIT_ALPHABET))
    chars = alphabet[rng.integers(0, 10, size=(n, 8))]
    new = rng.random(n) < 0.7
    chars[new, 0], chars[new, 1] = "M", "A"
    chars[new, 2:] = alphabet[rng.integers(0, len(alphabet), size=(int(new.sum()), 6))]
    values = np.vectorize(lambda c: int(c, 36), otypes=[np.int64])(chars)
    check = 11 - (values * np.array(_ORG_WEIGHTS)).sum(axis=1) % 11
    check_char = np.where(check == 10, "X", np.where(check == 11, "0", check.astype(str)))
    return np.concatenate([chars, check_char[:, None]], axis=1)


def credit_codes(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct unified social credit codes of Yunyang enterprises: 9 (registered by the
    market regulator) 1 (enterprise) 500235 (云阳县) + organisation code + check character."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        for org in _organisation_codes(rng, n - len(out)):
            body = "91" + REGION_CODE + "".join(org)
            code = body + credit_check_char(body)
            if code not in seen:
                seen.add(code)
                out.append(code)
    return out


def company_names(rng: np.random.Generator, clusters: list[str]) -> list[str]:
    """Distinct registered names 行政区划 + 字号 + 行业 + 组织形式 for firms of ``clusters``."""
    prefixes, prefix_weights = zip(*NAME_PREFIXES, strict=True)
    suffixes, suffix_weights = zip(*NAME_SUFFIXES, strict=True)

    def draw(which: list[str]) -> list[str]:
        k = len(which)
        prefix = _weighted(rng, prefix_weights, k).tolist()
        suffix = _weighted(rng, suffix_weights, k).tolist()
        trade = np.argsort(rng.random((k, len(TRADE_NAME_CHARS))), axis=1)[:, :3].tolist()
        three = (rng.random(k) < 0.1).tolist()
        word = rng.random(k).tolist()
        names = []
        for i, cluster in enumerate(which):
            words = INDUSTRY_WORDS[cluster]
            chars = trade[i][:3] if three[i] else trade[i][:2]
            names.append(
                prefixes[prefix[i]]
                + "".join(TRADE_NAME_CHARS[c] for c in chars)
                + words[int(word[i] * len(words))]
                + suffixes[suffix[i]]
            )
        return names

    names = draw(clusters)
    seen: set[str] = set()
    for i, name in enumerate(names):
        while name in seen:
            name = draw([clusters[i]])[0]
        names[i] = name
        seen.add(name)
    return names


def _top(score: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores."""
    return np.argsort(-score, kind="stable")[:k]


def generate_enterprises(n: int, rng: np.random.Generator, as_of: date) -> list[Enterprise]:
    """``n`` enterprises with unique names and credit codes.

    High-tech (高新技术企业, about 20%) and 专精特新 (about 8%) status go to the most capable firms
    (capability plus noise, so it is not a hard cut-off); about 40% state a financing need.
    IP-advantage and 贯标 dates are set later, once patents are owned
    (:func:`assign_ip_certifications`).
    """
    clusters = list(CLUSTER_SHARES)
    shares = np.asarray([CLUSTER_SHARES[c] for c in clusters])
    cluster_idx = rng.choice(len(clusters), size=n, p=shares / shares.sum())
    town_w = np.asarray(TOWN_WEIGHTS, dtype=float)
    town_idx = rng.choice(len(TOWNS), size=n, p=town_w / town_w.sum())
    employees = np.clip(np.round(rng.lognormal(np.log(35), 0.9, size=n)), 3, 3000).astype(int)
    capability = (
        0.5 * (np.log(employees) - np.log(35)) / 0.9
        + rng.normal(0, 0.85, size=n)
        + np.asarray([_CLUSTER_CAPABILITY[clusters[i]] for i in cluster_idx])
    )

    cluster_of = [clusters[i] for i in cluster_idx.tolist()]
    out = [
        Enterprise(
            credit_code=code,
            name=name,
            industry_cluster=cluster,
            town=TOWNS[town],
            contact_person=person,
            contact_phone=phone,
            employees=staff,
            capability=cap,
        )
        for code, name, cluster, town, person, phone, staff, cap in zip(
            credit_codes(rng, n),
            company_names(rng, cluster_of),
            cluster_of,
            town_idx.tolist(),
            person_names(rng, n),
            mobile_phones(rng, n),
            employees.tolist(),
            capability.tolist(),
            strict=True,
        )
    ]

    # High-tech certificates run three years: the date is the latest (re)certification, inside
    # the last three years for most firms, older for a few (certificate not renewed).
    three_years_ago = date(as_of.year - 3, as_of.month, as_of.day)
    for i in _top(capability + rng.normal(0, 0.5, size=n), round(HIGH_TECH_SHARE * n)):
        if rng.random() < 0.85:
            out[i].high_tech_date = random_date(rng, three_years_ago, as_of - timedelta(days=20))
        else:
            out[i].high_tech_date = random_date(rng, date(2016, 1, 1), three_years_ago)
    for i in _top(capability + rng.normal(0, 0.7, size=n), round(SPECIALIZED_SHARE * n)):
        out[i].specialized_date = random_date(rng, date(2019, 6, 1), as_of - timedelta(days=20))

    for i in np.flatnonzero(rng.random(n) < NEED_SHARE):
        amount = float(np.clip(rng.lognormal(np.log(1_500_000), 0.8), 300_000, 10_000_000))
        out[i].need_amount_yuan = int(round(amount, -5))
        out[i].need_term_months = int(rng.choice((6, 12, 12, 24, 24, 36, 36)))
    return out


def assign_ip_certifications(
    enterprises: list[Enterprise],
    inventions_owned: np.ndarray,
    rng: np.random.Generator,
    as_of: date,
    window: tuple[date, date],
    scale: float,
) -> None:
    """Give IP-advantage (知识产权优势企业) and 贯标 (IP management standard) dates.

    Candidates are enterprises owning invention patents. Per certification, at scale 1: a few
    certified before the plan's window, 6 (advantage) / 7 (贯标) inside it, so the plan's targets
    of 5 are met, and a few after it.
    """
    start, end = window
    periods = (
        (date(2018, 1, 1), start - timedelta(days=1)),
        (start, end),
        (end + timedelta(days=1), as_of - timedelta(days=20)),
    )
    plan = {"ip_advantage_date": (3, 6, 3), "ip_standard_date": (4, 7, 3)}
    owners = np.flatnonzero(inventions_owned > 0)
    score = np.asarray([enterprises[i].capability for i in owners]) + np.log1p(inventions_owned[owners])
    for field, per_period in plan.items():
        wanted = [max(1, round(k * scale)) for k in per_period]
        chosen = owners[_top(score + rng.normal(0, 0.6, size=len(owners)), sum(wanted))]
        chosen = rng.permutation(chosen)
        pos = 0
        for (lo, hi), k in zip(periods, wanted, strict=True):
            for i in chosen[pos : pos + k]:
                setattr(enterprises[i], field, random_date(rng, lo, hi))
            pos += k
