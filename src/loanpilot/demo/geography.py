"""Geography of the demo bank: the cities it serves, with their district division codes, tiers and
customer shares, and the birthplaces (ID region codes) of customers who moved there.

The geography and the administrative division codes are public facts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str
    province: str
    tier: int
    districts: tuple[tuple[str, str], ...]  # (division code, district name)
    weight: float  # share of the bank's customers
    income_factor: float


CITIES: tuple[City, ...] = (
    City(
        "杭州",
        "浙江",
        1,
        (
            ("330102", "上城区"),
            ("330105", "拱墅区"),
            ("330106", "西湖区"),
            ("330108", "滨江区"),
            ("330109", "萧山区"),
            ("330110", "余杭区"),
        ),
        0.30,
        1.25,
    ),
    City(
        "宁波",
        "浙江",
        2,
        (("330203", "海曙区"), ("330205", "江北区"), ("330212", "鄞州区"), ("330206", "北仑区")),
        0.16,
        1.15,
    ),
    City(
        "温州",
        "浙江",
        2,
        (("330302", "鹿城区"), ("330303", "龙湾区"), ("330304", "瓯海区")),
        0.11,
        1.05,
    ),
    City("嘉兴", "浙江", 3, (("330402", "南湖区"), ("330411", "秀洲区")), 0.07, 1.0),
    City("湖州", "浙江", 3, (("330502", "吴兴区"), ("330503", "南浔区")), 0.05, 0.95),
    City("绍兴", "浙江", 3, (("330602", "越城区"), ("330603", "柯桥区")), 0.07, 1.0),
    City(
        "金华",
        "浙江",
        3,
        (("330702", "婺城区"), ("330703", "金东区"), ("330782", "义乌市")),
        0.08,
        0.95,
    ),
    City(
        "台州",
        "浙江",
        3,
        (("331002", "椒江区"), ("331003", "黄岩区"), ("331004", "路桥区")),
        0.06,
        0.95,
    ),
    City(
        "上海",
        "上海",
        1,
        (("310101", "黄浦区"), ("310104", "徐汇区"), ("310115", "浦东新区")),
        0.06,
        1.45,
    ),
    City(
        "苏州",
        "江苏",
        2,
        (("320505", "虎丘区"), ("320506", "吴中区"), ("320508", "姑苏区")),
        0.04,
        1.2,
    ),
)

#: Birthplaces of customers who moved to the bank's cities (ID region codes from other provinces).
MIGRANT_REGIONS: tuple[str, ...] = (
    "340102",
    "340104",
    "360102",
    "360103",
    "410102",
    "410105",
    "420102",
    "420106",
    "430102",
    "430104",
    "510104",
    "510107",
    "500103",
    "500105",
    "350102",
    "350203",
    "320102",
    "320106",
    "370102",
    "370202",
    "450102",
    "520102",
    "530102",
    "610102",
)
