"""Vietnamese banks by their NAPAS BIN (the six digits a VietQR code names the bank by), so
that a payment page says "Vietcombank", not "BIN 970436". The list is data
(`data/banks.csv`: bin, short_name, name), read once per process."""
from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import NamedTuple

BANKS_CSV = Path(__file__).resolve().parent / "data" / "banks.csv"


class Bank(NamedTuple):
    bin: str
    short_name: str
    name: str


@cache
def _banks() -> dict[str, Bank]:
    with BANKS_CSV.open(encoding="utf-8", newline="") as fh:
        return {row["bin"]: Bank(row["bin"], row["short_name"], row["name"]) for row in csv.DictReader(fh)}


def bank_by_bin(bin_code: str | None) -> Bank | None:
    """The bank with this BIN, or None for a BIN the list does not know."""
    return _banks().get(str(bin_code or "").strip())
