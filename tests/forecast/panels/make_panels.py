"""Regenerate the small panel files used by test_panel.py and the README's examples (run by
hand; files are committed).

valid.csv holds 3 households x 3 years; each bad_*.csv breaks it in exactly one way.
data/examples/monitoring_export_zh.csv is valid.csv as a monitoring-system export with Chinese
columns and values; monitoring_export_zh_with_errors.csv the same with three mistakes.
"""

from pathlib import Path

import pandas as pd

from forecast.synthetic import synthesize_panel

HERE = Path(__file__).parent


def main() -> None:
    panel = synthesize_panel(3, seed=5, as_of=2022)
    panel = panel[panel["year"] >= 2020].reset_index(drop=True)
    panel = panel.round(
        {c: 2 for c in panel.columns if c.endswith("_income") or c == "net_income_per_capita"}
    )
    panel["net_income_per_capita"] = (
        panel[["wage_income", "operating_income", "property_income", "transfer_income"]].sum(axis=1)
        / panel["members"]
    ).round(2)
    panel.to_csv(HERE / "valid.csv", index=False)
    text = panel.astype(str)

    def write(name: str, frame: pd.DataFrame) -> None:
        frame.to_csv(HERE / f"bad_{name}.csv", index=False)

    write("missing_column", text.drop(columns=["members"]))
    write("unknown_column", text.assign(favourite_colour="blue"))
    write("duplicate_row", pd.concat([text.iloc[:2], text.iloc[[1]], text.iloc[2:]]))
    write("non_numeric_count", text.assign(members=text["members"].where(text.index != 1, "four")))
    write(
        "negative_count",
        text.assign(labour_force=text["labour_force"].where(text.index != 2, "-1")),
    )
    over = text.copy()
    over.loc[3, "labour_force"] = str(int(over.loc[3, "members"]) + 1)
    write("labour_above_members", over)
    high = text.copy()
    high.loc[4, "wage_income"] = "95000000"
    write("implausible_income", high)
    gap = text.drop(index=1)
    write("year_gap", gap)
    reversal = text.iloc[[0, 2, 1, *range(3, len(text))]]
    write("year_reversal", reversal)
    (HERE / "bad_not_a_table.csv").write_bytes(bytes(range(256)) * 4)
    zh = pd.read_csv(HERE / "valid.csv", dtype=str)
    import yaml

    mapping = yaml.safe_load(
        (HERE.parents[2] / "data/mappings/monitoring_export_zh.yaml").read_text()
    )
    inverse = {v: k for k, v in mapping["columns"].items()}
    zh["monitored_type"] = zh["monitored_type"].map(
        {v: k for k, v in mapping["values"]["monitored_type"].items()}
    )
    zh["key_county"] = zh["key_county"].map(
        {v: k for k, v in mapping["values"]["key_county"].items()}
    )
    zh["head_education"] = zh["head_education"].map(
        {v: k for k, v in mapping["values"]["head_education"].items()}
    )
    for column in zh.columns:
        if zh[column].isin(["True", "False"]).all():
            zh[column] = zh[column].map({"True": "是", "False": "否"})
    examples = HERE.parents[2] / "data" / "examples"
    zh = zh.rename(columns=inverse)
    zh.to_csv(examples / "monitoring_export_zh.csv", index=False)
    # The same export with three mistakes a monitoring system lets through, for the README.
    wrong = zh.copy()
    wrong.loc[1, "劳动力人数"] = str(int(wrong.loc[1, "家庭人口数"]) + 2)
    wrong.loc[4, "工资性收入"] = "一万二"
    wrong.loc[6, "年度"] = "2019"
    wrong.to_csv(examples / "monitoring_export_zh_with_errors.csv", index=False)


if __name__ == "__main__":
    main()
