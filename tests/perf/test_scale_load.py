"""The load half of `make scale-demo` (scripts/scale_load.py): the fixed-rate schedule, the
latency figures, HAProxy's log, which failures count against the run, and the sums that must
agree. The full run (two servers, HAProxy, a kill -9) is `make scale-demo` itself."""
from __future__ import annotations

import shutil
import subprocess
from collections import Counter

import pytest

from scripts.scale_load import (EXPECTED, MIX, Result, check_sums, classify, haproxy_config, parse_haproxy_log,
                                percentile, schedule, summarise)


# --- the schedule: fixed rate, open loop --------------------------------------------------

def test_the_schedule_sends_at_a_fixed_rate_whatever_the_answers():
    slots = schedule(rate=20, seconds=30)
    assert len(slots) == 600
    gaps = {round(b.at - a.at, 9) for a, b in zip(slots, slots[1:])}
    assert gaps == {0.05}
    assert slots[0].at == 0 and slots[-1].at == pytest.approx(29.95)
    assert [s.n for s in slots] == list(range(600))


def test_the_schedule_carries_the_mix_in_exact_proportions():
    slots = schedule(rate=10, seconds=10)  # 100 slots, the weights add up to 100
    assert sum(MIX.values()) == 100
    assert Counter(s.kind for s in slots) == Counter(MIX)


def test_every_stretch_of_the_schedule_carries_every_kind():
    """Kinds are interleaved, not in blocks: the kill midway meets the whole mix."""
    slots = schedule(rate=30, seconds=30)
    for start in range(0, len(slots) - 50, 25):
        assert {s.kind for s in slots[start:start + 50]} == set(MIX)


def test_the_schedule_is_the_same_on_every_run():
    assert schedule(25, 12) == schedule(25, 12)
    with pytest.raises(ValueError):
        schedule(0, 10)


# --- figures ---------------------------------------------------------------------------------

def test_percentiles_are_nearest_rank():
    values = list(range(1, 21))  # 1..20
    assert percentile(values, 0.95) == 19
    assert percentile(values, 0.50) == 10
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.95) == 0.0
    assert percentile(list(range(100, 0, -1)), 0.95) == 95


def result(load_id, kind="browse", started=0.0, ended=0.1, status=200, retry=False):
    return Result(load_id, kind, started, ended, status, retry=retry)


def test_the_summary_gives_rate_p95_and_errors_per_endpoint():
    results = [result(f"browse-{i}", ended=(i + 1) / 1000) for i in range(20)]
    results += [result("checkout-1", "checkout", status=201), result("checkout-2", "checkout", status=502),
                result("checkout-3", "checkout", status=None)]
    rows = summarise(results, seconds=10)
    assert rows["browse"] == {"requests": 20, "rate": 2.0, "p50_ms": 10.0, "p95_ms": 19.0, "errors": 0, "retries": 0}
    assert rows["checkout"]["requests"] == 3 and rows["checkout"]["errors"] == 2
    assert rows["bank"]["requests"] == 0 and rows["bank"]["p95_ms"] == 0.0


def test_a_request_fails_when_it_does_not_get_its_kinds_answer():
    assert EXPECTED["checkout"] == 201
    assert not result("c", "checkout", status=201).failed
    assert result("c", "checkout", status=200).failed
    assert result("b", "browse", status=502).failed
    assert result("b", "browse", status=None).failed


# --- HAProxy: its configuration and its log ------------------------------------------------

def test_haproxy_log_lines_name_the_server_of_each_request():
    lines = ["{browse-1} a 200 ---- 12", "{checkout-7} a 502 SH-- 340", "{checkout-7-r1} b 201 ---- 80",
             "{} b 200 ---- 3", "[WARNING] server app/a is DOWN", "{bank-3} <NOSRV> 503 SC-- 0"]
    seen = parse_haproxy_log(lines)
    assert seen == {"browse-1": {"server": "a", "status": 200, "state": "----"},
                    "checkout-7": {"server": "a", "status": 502, "state": "SH--"},
                    "checkout-7-r1": {"server": "b", "status": 201, "state": "----"},
                    "bank-3": {"server": "<NOSRV>", "status": 503, "state": "SC--"}}


def test_the_haproxy_configuration_balances_checks_and_logs_the_load_id():
    config = haproxy_config(5810, {"a": 5811, "b": 5812})
    assert "bind 127.0.0.1:5810" in config
    assert "server a 127.0.0.1:5811 check maxconn 4" in config and "server b 127.0.0.1:5812 check maxconn 4" in config
    assert "option httpchk GET /healthz" in config
    assert "option redispatch" in config and "on-error mark-down" in config
    assert "capture req.hdr(X-Load-Id)" in config and '"%hr %s %ST %tsc %Ta"' in config


@pytest.mark.skipif(not (shutil.which("haproxy") or shutil.which("/usr/sbin/haproxy")),
                    reason="HAProxy is not installed (make lb-deps)")
def test_debians_haproxy_accepts_the_configuration(tmp_path):
    path = tmp_path / "haproxy.cfg"
    path.write_text(haproxy_config(5810, {"a": 5811, "b": 5812}))
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    checked = subprocess.run([binary, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --- which failures count ------------------------------------------------------------------

DYING = (12.0, 12.05)  # SIGKILL sent, then the port refuses connections
SERVED_BY = {"checkout-1": {"server": "a"}, "browse-2": {"server": "a"}, "browse-3": {"server": "b"},
             "browse-4": {"server": "a"}, "bank-5": {"server": "a"}}


def test_only_requests_the_killed_server_held_when_it_died_are_excused():
    results = [
        result("checkout-1", "checkout", started=11.8, ended=12.3, status=502),  # on A when it died
        result("browse-2", started=11.0, ended=11.2, status=502),                # on A, but before the kill
        result("browse-3", started=11.9, ended=12.2, status=502),                # across the kill, but on B
        result("browse-4", started=12.5, ended=12.6, status=502),                # sent to A once it was gone
        result("bank-5", "bank", started=11.9, ended=12.4, status=200),          # answered: no failure
        result("browse-6", started=11.9, ended=20.0, status=None),               # not in HAProxy's log
        result("product-7", "product", started=12.03, ended=12.1, status=502),   # handed to A while it died
    ]
    verdict = classify(results, DYING, "a", {**SERVED_BY, "product-7": {"server": "a"}})
    assert [r.load_id for r in verdict["in_flight"]] == ["checkout-1", "product-7"]
    assert [r.load_id for r in verdict["other"]] == ["browse-2", "browse-3", "browse-4", "browse-6"]


def test_without_a_kill_every_failure_counts():
    results = [result("checkout-1", "checkout", started=11.8, ended=12.3, status=502)]
    assert classify(results, None, "a", SERVED_BY) == {"in_flight": [], "other": results}


# --- orders placed vs paid vs stock sold ----------------------------------------------------

def order(code, quantities, total):
    return {"code": code, "total_vnd": total,
            "parts": [{"items": [{"quantity": q} for q in quantities]}]}


BEFORE = {"orders": 40, "units": 90, "stock": 12_000_000, "paid_orders": 10, "ledger_sum": 5_000_000}
PLACED = [order("OC-1", [1, 2], 300_000), order("OC-2", [2], 150_000)]


def after(**changes):
    return {**{"orders": 42, "units": 95, "stock": 11_999_995, "paid_orders": 12, "ledger_sum": 5_450_000},
            **changes}


def failed_checks(after_figures, placed=PLACED, paid=PLACED):
    return [label for label, ok, _ in check_sums(BEFORE, after_figures, placed, paid) if not ok]


def test_the_sums_agree_when_every_order_is_counted_once():
    assert failed_checks(after()) == []


def test_an_order_the_shopper_never_heard_of_breaks_the_sums():
    assert failed_checks(after(orders=43)) == ["every order placed is known to its shopper, once"]


def test_an_order_answered_twice_is_not_two_orders():
    twice = PLACED + [PLACED[0]]
    assert "every order placed is known to its shopper, once" in failed_checks(after(), placed=twice)


def test_an_unpaid_order_breaks_the_sums():
    assert failed_checks(after(paid_orders=11, ledger_sum=5_150_000), paid=PLACED[1:]) == [
        "every order placed was paid"]


def test_stock_taken_without_an_order_line_breaks_the_sums():
    assert failed_checks(after(stock=11_999_994)) == ["units ordered = stock sold"]


def test_money_that_does_not_match_the_paid_orders_breaks_the_sums():
    assert failed_checks(after(ledger_sum=5_449_000)) == ["money received = sum of the paid orders"]
