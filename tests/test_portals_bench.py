"""bench.portals' bookkeeping: gaps between checks, on time or late, CPU in % of a core, counters read from
/metrics, the watcher's secrets; and the watcher's queue of due endpoints. The benchmark's numbers go in
docs/performance.md, never in a test."""

from __future__ import annotations

import math
import tomllib

import pytest

from bench.portals import counter, cpu_percent, gaps, on_time, result, secrets
from lib.settings.config import load
from lib.watching.due import DueQueue


def test_gaps_are_counted_for_the_checks_inside_the_window() -> None:
    arrivals = [0.0, 5.0, 10.2, 15.2, 21.5, 26.5]
    assert gaps(arrivals, 10.0, 22.0) == pytest.approx([5.2, 5.0, 6.3])
    assert gaps([3.0], 0.0, 10.0) == [] and gaps([], 0.0, 1.0) == []


def test_on_time_allows_the_slack_and_gives_the_95th_percentile_of_lateness() -> None:
    per_portal = [[5.0, 5.2, 7.0], [4.9, 5.0, 6.0]]  # late by 0, 0.2, 2.0 | 0 (early), 0, 1.0
    punctual, p95 = on_time(per_portal, 5.0, 1.0)
    assert punctual == pytest.approx(100 * 5 / 6)
    assert 1.0 < p95 <= 2.0
    assert on_time([[5.0] * 99 + [10.0]], 5.0, 1.0)[0] == 99.0
    assert on_time([[], []], 5.0, 1.0)[0] == 0.0 and math.isnan(on_time([], 5.0, 1.0)[1])


def test_cpu_is_a_percent_of_one_core() -> None:
    assert cpu_percent(10.0, 25.0, 60.0) == 25.0


def test_counters_are_read_from_prometheus_text_summed_over_labels() -> None:
    text = ('# HELP docspace_checks_total x\n# TYPE docspace_checks_total counter\n'
            'docspace_checks_total{portal="a",endpoint="restore"} 3.0\n'
            'docspace_checks_total{portal="b",endpoint="restore"} 4.0\n'
            '# HELP docspace_history_writes_total x\n# TYPE docspace_history_writes_total counter\n'
            'docspace_history_writes_total 1200.0\n')
    assert counter(text, "docspace_checks") == 7.0 and counter(text, "docspace_history_writes") == 1200.0
    assert counter(text, "docspace_nothing") == 0.0


def test_the_watchers_secrets_are_valid_settings() -> None:
    text = secrets(["http://127.0.0.1:9001", "http://127.0.0.1:9002"], 5.0, "sqlite:////tmp/h.sqlite3")
    config = load(tomllib.loads(text))
    assert [p.name for p in config.portals] == ["p0000", "p0001"] and config.metrics
    assert config.refresh_seconds == config.idle_seconds == 5.0


def test_the_result_has_the_fields_the_issue_asks_for() -> None:
    found = result(1000, 60.0, 5.0, 22.51, 84.04, 99.95, 0.0321, 606.04, 7.034, 12000)
    assert found == {"portals": 1000, "seconds": 60.0, "interval_s": 5.0, "checks": 12000,
                     "watcher_cpu_percent": 22.5, "rss_mb": 84.0, "polls_on_time_percent": 99.95,
                     "lag_p95_s": 0.032, "db_writes_per_second": 606.0, "db_transactions_per_second": 7.03}


def test_the_due_queue_gives_what_is_due_soonest_first_and_a_new_time_replaces_the_old() -> None:
    due = DueQueue()
    due.put("a", 10.0)
    due.put("b", 5.0)
    due.put("c", 7.0)
    due.put("a", 3.0)  # a viewer looks: due sooner
    due.put("c", 20.0)  # its interval grew
    assert due.next_at() == 3.0 and len(due) == 3
    assert due.pop_due(9.0) == ["a", "b"]  # "c" at 7 was replaced by 20; "a" at 10 by 3
    assert due.pop_due(15.0) == [] and due.next_at() == 20.0
    assert due.pop_due(20.0) == ["c"] and due.next_at() is None and len(due) == 0
