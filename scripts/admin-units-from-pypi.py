#!/usr/bin/env python3
"""Regenerates fixtures/admin_units/*.csv, the administrative units gpmb ships, for the whole
country, from the PyPI package `vietnamadminunits` 1.0.4 (MIT):

  table `admin_units_legacy`  -> admin_units_legacy.csv             (63 provinces, before 1 July 2025)
  table `admin_units`         -> admin_units_2025.csv               (34 provinces, from 1 July 2025)
  `converter_2025.json`       -> admin_units_2025_successors.csv    (old commune -> new commune)

Usage (standard library only; the package is read, not imported):

  python3 -m venv /tmp/vau-venv && /tmp/vau-venv/bin/pip download --no-deps vietnamadminunits==1.0.4 -d /tmp/vau
  (cd /tmp/vau && mkdir -p pkg && cd pkg && python3 -m zipfile -e ../vietnamadminunits-1.0.4-py3-none-any.whl .)
  python3 scripts/admin-units-from-pypi.py /tmp/vau/pkg/vietnamadminunits [fixtures/admin_units]

Row order decides the ids gpmb gives the units on a fresh database (src/admin_units/seed.rs), so
the provinces gpmb first shipped come first, exactly as they were: Quảng Ngãi (51) and Kon Tum
(62) before 2025, the new Quảng Ngãi (51) after. The rest of the country follows by code.
"""
import csv
import json
import sqlite3
import sys
from pathlib import Path

# The provinces shipped first (their rows, and so their ids, must not move).
FIRST_LEGACY = ["51", "62"]
FIRST_2025 = ["51"]


def num(v):
    """A coordinate or area as the source writes it (repr of the float), empty when missing."""
    return "" if v is None else repr(float(v))


def bounds(text):
    """`minlat,minlon – maxlat,maxlon` -> (min_lon, min_lat, max_lon, max_lat) as text."""
    if not text:
        return ("", "", "", "")
    lo, hi = [p.strip() for p in text.split("–")]
    min_lat, min_lon = lo.split(",")
    max_lat, max_lon = hi.split(",")
    return (min_lon.strip(), min_lat.strip(), max_lon.strip(), max_lat.strip())


def first_then_by_code(rows, key, first):
    head = [r for p in first for r in rows if key(r)[0] == p]
    rest = sorted((r for r in rows if key(r)[0] not in first), key=key)
    return sorted(head, key=lambda r: (first.index(key(r)[0]),) + key(r)[1:]) + rest


def code_key(code):
    return (len(code or ""), code or "")


def main():
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/vau/pkg/vietnamadminunits")
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parent.parent / "fixtures" / "admin_units"
    db = sqlite3.connect(src / "data" / "dataset.db")
    db.row_factory = sqlite3.Row
    conv = json.loads((src / "data" / "converter_2025.json").read_text(encoding="utf-8"))

    # ---- before 1 July 2025 -----------------------------------------------------------------
    legacy = [dict(r) for r in db.execute("SELECT * FROM admin_units_legacy")]
    legacy = first_then_by_code(
        legacy,
        lambda r: (r["provinceCode"], code_key(r["districtCode"]), code_key(r["wardCode"])),
        FIRST_LEGACY,
    )
    with open(out / "admin_units_legacy.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["province_code", "province", "district_code", "district", "district_type",
                    "ward_code", "ward", "ward_type", "ward_lon", "ward_lat",
                    "ward_min_lon", "ward_min_lat", "ward_max_lon", "ward_max_lat"])
        for r in legacy:
            w.writerow([r["provinceCode"], r["province"], r["districtCode"], r["district"],
                        r["districtType"], r["wardCode"] or "", r["ward"] or "", r["wardType"] or "",
                        num(r["wardLon"]), num(r["wardLat"]), *bounds(r["wardBounds"])])
    legacy_code = {f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}": r["wardCode"] or ""
                   for r in legacy}

    # ---- from 1 July 2025 -------------------------------------------------------------------
    current = [dict(r) for r in db.execute("SELECT * FROM admin_units")]
    current = first_then_by_code(current, lambda r: (r["provinceCode"], code_key(r["wardCode"])), FIRST_2025)
    with open(out / "admin_units_2025.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["province_code", "province", "ward_code", "ward", "ward_type",
                    "ward_lon", "ward_lat", "area_km2"])
        for r in current:
            w.writerow([r["provinceCode"], r["province"], r["wardCode"], r["ward"], r["wardType"],
                        num(r["wardLon"]), num(r["wardLat"]), num(r["wardAreaKm2"])])
    new_code = {(r["provinceKey"], r["wardKey"]): r["wardCode"] for r in current}
    new_province = {r["provinceKey"]: r["provinceCode"] for r in current}

    # ---- old commune -> new commune ---------------------------------------------------------
    links = []
    for prov, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_key, olds in wards.items():
            for old in olds:
                links.append((legacy_code[old], old, new_code[(prov, new_key)], new_key, "whole", prov))
    for prov, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, news in olds.items():
            for n in news:
                relation = "part_default" if n["isDefaultNewWard"] else "part"
                links.append((legacy_code[old], old, new_code[(prov, n["newWardKey"])], n["newWardKey"],
                              relation, prov))
    first = [new_province_key for new_province_key, code in new_province.items() if code in FIRST_2025]
    head = sorted((l for l in links if l[5] in first), key=lambda l: (l[0], l[2]))
    rest = sorted((l for l in links if l[5] not in first),
                  key=lambda l: (new_province[l[5]], l[0] == "", code_key(l[0]), l[1], code_key(l[2])))
    with open(out / "admin_units_2025_successors.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["legacy_ward_code", "legacy_key", "ward_code_2025", "key_2025", "relation"])
        for l in head + rest:
            w.writerow(l[:5])

    print(f"legacy: {len(legacy)} rows, 2025: {len(current)} rows, successors: {len(links)} rows -> {out}")


if __name__ == "__main__":
    main()
