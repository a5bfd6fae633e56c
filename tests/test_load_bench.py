"""The load tool (bench/load.py) works: its protocol bookkeeping on made-up frames, and one short real run.

The real run (marked ``slow``, about 25 s) starts the simulator and the app, opens two protocol viewers
for a few seconds and checks the contract of the last output line.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.load_proto import MessageCache, Tracker, context_info, rerun_msg, widget_state
from bench.load_run import REQUIRED, pct
from tests.conftest import ROOT


def _fwd(**fields) -> bytes:
    msg = ForwardMsg(**{k: v for k, v in fields.items() if k not in ("run_fragments", "fragment")})
    if "run_fragments" in fields:
        msg.metadata.run.script_run_id = "r"
        msg.metadata.run.fragment_ids.extend(fields["run_fragments"])
    return msg.SerializeToString()


def _finished(fragments: list[str]) -> bytes:
    status = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY if fragments else ForwardMsg.FINISHED_SUCCESSFULLY
    return _fwd(script_finished=status, run_fragments=fragments)


def _new_session(fragments: list[str]) -> bytes:
    msg = ForwardMsg()
    msg.new_session.page_script_hash = "page"
    msg.metadata.run.fragment_ids.extend(fragments)
    return msg.SerializeToString()


def test_a_tick_runs_from_its_request_to_the_script_finished_of_the_run_that_served_it():
    tracker = Tracker(query_string="portal=prod")
    tracker.on_sent(rerun_msg(tracker, context_info("http://x/", "UTC", 0), first=True), 0.0)
    tracker.on_received(_new_session([]), 0.1)
    assert tracker.timers_cleared  # a full run clears the page's timers
    tracker.on_received(_fwd(auto_rerun={"interval": 5, "fragment_id": "f"}), 0.2)
    tracker.on_received(_finished([]), 0.3)
    # two timer requests before the next run starts: one run serves both (the server coalesces them)
    tracker.on_sent(rerun_msg(tracker, tracker_ctx(), "f"), 5.0)
    tracker.on_sent(rerun_msg(tracker, tracker_ctx(), "f"), 5.5)
    tracker.on_received(_new_session(["f"]), 5.6)
    tracker.on_sent(rerun_msg(tracker, tracker_ctx(), "f"), 5.7)  # sent while that run is going
    tracker.on_received(_finished(["f"]), 5.8)
    assert [(t.sent, t.finished, t.fragment) for t in tracker.ticks] == [
        (0.0, 0.3, False), (5.0, 5.8, True), (5.5, 5.8, True)]
    assert tracker.coalesced == 1
    assert (tracker.fragment_id, tracker.interval) == ("f", 5)
    assert tracker.unfinished(before=6.0) == 1  # the request sent at 5.7 waits for the next run


def tracker_ctx():
    return context_info("http://x/", "Europe/Berlin", -60)


def test_an_exception_in_the_page_and_a_reference_to_an_unknown_message_are_errors():
    tracker = Tracker()
    msg = ForwardMsg()
    msg.delta.new_element.exception.type = "ValueError"
    msg.delta.new_element.exception.message = "boom"
    tracker.on_received(msg.SerializeToString(), 1.0)
    tracker.on_received(_fwd(ref_hash="abc"), 2.0)
    assert [text for _, text in tracker.errors] == ["exception in the page: ValueError: boom",
                                                     "cache miss for ref_hash abc"]


def test_the_message_cache_ages_entries_by_runs_like_the_frontend():
    cache = MessageCache()
    msg = ForwardMsg(hash="h1")
    msg.metadata.cacheable = True
    msg.delta.fragment_id = "f"
    msg.delta.new_element.markdown.body = "x"
    cache.on_message(msg)
    for _ in range(2):
        cache.on_run_finished(2, [])
    assert cache.hashes() == ["h1"]  # two runs old: kept
    cache.on_run_finished(2, ["other"])
    assert cache.hashes() == ["h1"]  # a run of another fragment does not age it out
    cache.on_run_finished(2, ["f"])
    assert cache.hashes() == []


def test_widgets_report_their_defaults_as_a_tab_does():
    slider = Element()
    slider.slider.id = "s"
    slider.slider.options.extend(["2 s", "5 s"])
    slider.slider.default.append(1)
    box = Element()
    box.selectbox.id = "b"
    box.selectbox.options.extend(["Production"])
    box.selectbox.default = 0
    toggle = Element()
    toggle.checkbox.id = "t"
    assert list(widget_state(slider).string_array_value.data) == ["5 s"]
    assert widget_state(box).string_value == "Production"
    assert widget_state(toggle).WhichOneof("value") == "bool_value"


def test_a_timer_tick_carries_the_fragment_the_page_and_the_widgets():
    tracker = Tracker(query_string="portal=prod", page_script_hash="page")
    box = Element()
    box.checkbox.id = "paused"
    tracker.widgets["paused"] = (widget_state(box), "")
    msg = BackMsg()
    msg.ParseFromString(rerun_msg(tracker, tracker_ctx(), "f"))
    rerun = msg.rerun_script
    assert (rerun.fragment_id, rerun.is_auto_rerun, rerun.page_script_hash) == ("f", True, "page")
    assert [w.id for w in rerun.widget_states.widgets] == ["paused"]
    assert rerun.context_info.timezone == "Europe/Berlin"


def test_percentiles():
    assert pct([], 50) is None
    assert pct([3, 1, 2], 50) == 2
    assert pct(list(range(1, 101)), 95) == 95


@pytest.mark.slow
def test_two_protocol_viewers_tick_without_errors_and_share_one_portal_request():
    args = ["--viewers", "2", "--seconds", "8", "--interval", "2", "--warmup", "3", "--idle-seconds", "2"]
    out = subprocess.run([sys.executable, "-m", "bench.load", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(REQUIRED) <= set(result)
    assert result["viewers"] == 2
    assert result["errors"] == 0, result["error_samples"]
    assert result["ticks"] >= 0.75 * result["ticks_expected"] > 0
    assert result["p50_tick_ms"] > 0 and result["p95_tick_ms"] >= result["p50_tick_ms"]
    assert result["bytes_per_tick"] > 1000  # the live fragment: status, numbers, bar, chart
    assert result["server_cpu_percent"] > 0 and result["cpu_ms_per_tick"] > 0
    assert result["rss_mb"] > 30 and result["server_idle_cpu_percent"] >= 0
    # 4 intervals in 8 s: a fifth request can fall inside the window's ends (1.25); two viewers asking each, 2
    assert 0 < result["portal_requests_per_interval"] <= 1.25
