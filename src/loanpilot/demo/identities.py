"""Personal identities of the demo bank's people: surnames by frequency, given-name characters,
the three carriers' mobile prefixes, and the draws of names and mobile numbers from them."""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo.context import pick, zfill

SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.1),
    ("李", 7.0),
    ("张", 6.7),
    ("刘", 5.4),
    ("陈", 4.5),
    ("杨", 3.1),
    ("黄", 2.2),
    ("赵", 2.1),
    ("吴", 2.0),
    ("周", 1.9),
    ("徐", 1.7),
    ("孙", 1.5),
    ("马", 1.5),
    ("朱", 1.3),
    ("胡", 1.3),
    ("郭", 1.2),
    ("何", 1.2),
    ("林", 1.2),
    ("高", 1.1),
    ("罗", 1.1),
    ("郑", 1.0),
    ("梁", 0.9),
    ("谢", 0.8),
    ("宋", 0.8),
    ("唐", 0.8),
    ("许", 0.7),
    ("韩", 0.7),
    ("冯", 0.7),
    ("邓", 0.7),
    ("曹", 0.6),
    ("彭", 0.6),
    ("曾", 0.6),
    ("肖", 0.6),
    ("田", 0.5),
    ("董", 0.5),
    ("潘", 0.5),
    ("袁", 0.5),
    ("蔡", 0.5),
    ("蒋", 0.5),
    ("余", 0.5),
    ("于", 0.5),
    ("杜", 0.4),
    ("叶", 0.4),
    ("程", 0.4),
    ("魏", 0.4),
    ("苏", 0.4),
    ("吕", 0.4),
    ("丁", 0.4),
    ("任", 0.4),
    ("沈", 0.4),
    ("姚", 0.3),
    ("卢", 0.3),
    ("钟", 0.3),
    ("姜", 0.3),
    ("崔", 0.3),
    ("谭", 0.3),
    ("陆", 0.3),
    ("范", 0.3),
    ("汪", 0.3),
    ("金", 0.3),
    ("方", 0.3),
    ("石", 0.3),
    ("邵", 0.2),
    ("欧阳", 0.05),
    ("诸葛", 0.01),
)

GIVEN_MALE = (
    "伟强军磊洋勇杰涛明超刚平辉鹏华飞斌宇浩凯健俊帆帅旭宁龙林波晨阳文博志毅峰建国栋锋鑫瑞泽睿轩哲航"
)
GIVEN_FEMALE = (
    "芳娜敏静丽艳娟霞秀燕玲桂婷雪慧莹晶倩琳颖洁丹萍红月琪佳欣怡梦璐瑶蕾薇妍雯菲露涵悦彤诗雅婧"
)

#: Mobile number prefixes of the three carriers (China Mobile, China Unicom, China Telecom).
PHONE_PREFIXES: tuple[str, ...] = (
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "147",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "178",
    "182",
    "183",
    "184",
    "187",
    "188",
    "198",
    "130",
    "131",
    "132",
    "155",
    "156",
    "166",
    "175",
    "176",
    "185",
    "186",
    "133",
    "153",
    "173",
    "177",
    "180",
    "181",
    "189",
    "199",
)


def person_names(rng: np.random.Generator, male: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """One name per person: a surname by frequency, one or two given-name characters by gender."""
    n = len(male)
    surnames = np.array([s for s, _ in SURNAMES])
    weights = np.array([w for _, w in SURNAMES])
    family = pick(rng, surnames, n, weights)
    male_chars = np.array(list(GIVEN_MALE))
    female_chars = np.array(list(GIVEN_FEMALE))
    first = np.where(male, pick(rng, male_chars, n), pick(rng, female_chars, n))
    second = np.where(male, pick(rng, male_chars, n), pick(rng, female_chars, n))
    two = rng.random(n) < 0.7
    given = np.where(two, np.char.add(first, second), first)
    return np.char.add(family, given).astype(object)


def mobile_numbers(rng: np.random.Generator, n: int) -> np.ndarray[Any, Any]:
    """``n`` distinct mobile numbers (a carrier prefix and an 8-digit tail)."""
    prefixes = pick(rng, np.array(PHONE_PREFIXES), n)
    # distinct 8-digit tails: a random permutation sample, so no two customers share a number
    tails = rng.choice(100_000_000, size=n, replace=False)
    return np.char.add(prefixes, zfill(tails.astype("U8"), 8)).astype(object)
