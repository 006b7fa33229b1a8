"""The household income panel: one row per household per year.

This table is the single description of the panel. The loader validates against it, the
synthetic generator writes it, ``zengshou data schema`` prints it and the README links here.
Money is current yuan per household per year unless a column says per person.
"""

from __future__ import annotations

from dataclasses import dataclass

# Measures the plan names, recorded per household and year as received (True) or not.
MEASURES: tuple[str, ...] = (
    "skills_training",  # 技能培训, measure 7
    "migrant_work",  # 外出务工 / 劳务输出, measure 7
    "public_welfare_post",  # 公益性岗位, measure 10
    "forest_ranger",  # 生态护林员, measure 10
    "tourism_village",  # 乡村旅游示范村, measure 4
    "collective_dividend",  # 村集体经济分红, measure 11
    "microcredit",  # 小额信贷 / 富民贷, safeguard 3
    "minimum_living_allowance",  # 农村低保, measure 12
    "one_to_one_assistance",  # 一对一帮扶, safeguard 4
)

INCOME_SOURCES: tuple[str, ...] = (
    "wage_income",  # 工资性收入
    "operating_income",  # 经营净收入
    "property_income",  # 财产净收入
    "transfer_income",  # 转移净收入
)
# The same sources without the "_income" suffix, in the same order (wage, operating, property,
# transfer): the one definition every module's by-source arrays and tables follow.
SOURCES: tuple[str, ...] = tuple(s.removesuffix("_income") for s in INCOME_SOURCES)

# 监测对象 types. "none" for households that are not monitored.
MONITORED_TYPES: tuple[str, ...] = (
    "none",
    "unstable_alleviated",  # 脱贫不稳定户
    "marginal_at_risk",  # 边缘易致贫户
    "sudden_hardship",  # 突发严重困难户
)
KEY_COUNTY_LEVELS: tuple[str, ...] = ("none", "provincial", "national")  # 乡村振兴重点帮扶县
HEAD_EDUCATION_LEVELS: tuple[str, ...] = ("none", "primary", "junior_secondary", "senior_plus")

# Plausibility bounds for yuan per household per year. A household of 10 earning 500,000 yuan
# in wages is possible but would be the richest alleviated household in the province:
# anything beyond is far more likely a unit error (yuan vs. 10,000 yuan) than a real value.
INCOME_MAX = 2_000_000.0
OPERATING_MIN = -500_000.0  # net operating income may be a loss (failed harvest, debts)


@dataclass(frozen=True)
class Column:
    """One panel column: its type, unit, meaning and valid range.

    Parameters
    ----------
    name : str
        Column name in the canonical schema.
    kind : {"str", "int", "float", "bool", "category"}
        Logical type the loader checks and converts to.
    unit : str
        Unit of measurement (``"-"`` when none).
    meaning : str
        What the column records, with the plan's Chinese term where it helps.
    minimum, maximum : float, optional
        Inclusive valid range for numeric columns.
    categories : tuple of str, optional
        Allowed values of a category column.
    required : bool
        Whether a file must contain the column. Optional columns that are absent are added
        as missing values (``<NA>``), never invented.
    derived : bool
        Computed by the loader from other columns; if a file carries it, it must agree.
    """

    name: str
    kind: str
    unit: str
    meaning: str
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] | None = None
    required: bool = True
    derived: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("household_id", "str", "-", "pseudonymous household identifier (户编号, hashed)"),
    Column(
        "year", "int", "year", "income year (monitoring year, October to September)", 2010, 2035
    ),
    Column("county_code", "str", "-", "county (县) administrative code, 6 digits"),
    Column("village_code", "str", "-", "administrative village (行政村) code"),
    Column("members", "int", "persons", "household members (家庭人口)", 1, 20),
    Column(
        "labour_force", "int", "persons", "members able to work (劳动力), at most members", 0, 20
    ),
    Column("head_age", "int", "years", "age of the household head", 16, 110, required=False),
    Column(
        "head_education",
        "category",
        "-",
        "highest schooling of the head",
        categories=HEAD_EDUCATION_LEVELS,
        required=False,
    ),
    Column(
        "wage_income", "float", "yuan/household/year", "wage income (工资性收入)", 0, INCOME_MAX
    ),
    Column(
        "operating_income",
        "float",
        "yuan/household/year",
        "net operating income (经营净收入), may be negative",
        OPERATING_MIN,
        INCOME_MAX,
    ),
    Column(
        "property_income",
        "float",
        "yuan/household/year",
        "net property income (财产净收入): rents, dividends, collective shares",
        0,
        INCOME_MAX,
    ),
    Column(
        "transfer_income",
        "float",
        "yuan/household/year",
        "net transfer income (转移净收入): pensions, allowances, subsidies, remittances",
        0,
        INCOME_MAX,
    ),
    Column(
        "assistance_income",
        "float",
        "yuan/household/year",
        "part of transfer_income paid by the return-to-poverty monitoring mechanism's assistance "
        "(防返贫帮扶) this year; risk labels read income before it",
        0,
        INCOME_MAX,
        required=False,
    ),
    Column(
        "net_income_per_capita",
        "float",
        "yuan/person/year",
        "per-capita net income (人均纯收入) = sum of the four sources / members",
        OPERATING_MIN,
        INCOME_MAX,
        derived=True,
    ),
    Column(
        "weight",
        "float",
        "households",
        "sampling weight: households in the population this row represents",
        0.0,
        1e7,
    ),
    Column("monitored", "bool", "-", "under return-to-poverty monitoring (监测对象) this year"),
    Column(
        "monitored_type",
        "category",
        "-",
        "monitoring type: 脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户; none if not monitored",
        categories=MONITORED_TYPES,
    ),
    Column("relocated", "bool", "-", "relocated household (易地扶贫搬迁)"),
    Column(
        "key_county",
        "category",
        "-",
        "county is a national or provincial key assisted county (乡村振兴重点帮扶县)",
        categories=KEY_COUNTY_LEVELS,
    ),
    Column(
        "shock_illness", "bool", "-", "serious illness or injury this year (因病)", required=False
    ),
    Column("shock_disaster", "bool", "-", "natural disaster hit this year (因灾)", required=False),
    *(Column(f"received_{m}", "bool", "-", f"received measure '{m}' this year") for m in MEASURES),
)

COLUMNS_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
MEASURE_COLUMNS: tuple[str, ...] = tuple(f"received_{m}" for m in MEASURES)
KEY: tuple[str, str] = ("household_id", "year")


def describe_schema() -> str:
    """Return the schema as a plain-text table (name, type, unit, range, meaning)."""
    rows = [("column", "type", "unit", "valid", "meaning")]
    for c in COLUMNS:
        if c.categories:
            valid = "|".join(c.categories)
        elif c.minimum is not None:
            valid = f"{c.minimum:g}..{c.maximum:g}"
        else:
            valid = "-"
        flags = "" if c.required else " (optional)"
        flags += " (derived)" if c.derived else ""
        rows.append((c.name, c.kind, c.unit, valid, c.meaning + flags))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths, strict=True)) + "  " + r[4]
        for r in rows
    )
