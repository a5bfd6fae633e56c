"""DocSpaceClient over real loopback HTTP: every parse path and every error kind, no mocked requests."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.portal.client import DocSpaceClient
from lib.portal.errors import (
    DocSpaceError,
    Forbidden,
    NotFound,
    PaymentRequired,
    PortalRestoring,
    PortalUnreachable,
    RateLimited,
    Redirected,
    ServerError,
    Unauthorized,
    UnexpectedResponse,
)
from lib.portal.models import Operation, Period, StorageType, TaskStatus
from simulator import LATIN1_TEXT, Simulator
from tests.canned import Canned, Unaccepting
from tests.factories import KEY, ManualClock


def client(sim: Simulator | Canned | str, key: str | None = KEY, **kw) -> DocSpaceClient:
    url = sim if isinstance(sim, str) else sim.url
    return DocSpaceClient(url, key, **kw)


# ---------------------------------------------------------------- parse paths


def test_restore_progress_through_its_phases(portal: Simulator, manual_clock: ManualClock) -> None:
    c = client(portal, key=None)  # the endpoint is anonymous
    first = c.get_restore_progress()
    assert first is not None and first.operation is Operation.RESTORE and first.progress == 0
    assert first.error == "" and not first.failed and first.link == "" and first.warning == ""
    assert len(first.task_id) == 36 and first.task_id == first.task_id.lower()
    manual_clock.advance(45)
    assert c.get_restore_progress().progress == 10
    manual_clock.advance(400)
    late = c.get_restore_progress()
    assert late.progress == 75 and late.tenant_id == 2 and late.status is TaskStatus.RUNNING
    manual_clock.advance(200)
    done = c.get_restore_progress()
    assert done.is_completed and done.progress == 100 and not done.failed and not done.cancelled


def test_dump_has_three_states(portal: Simulator) -> None:
    c = client(portal, key=None)
    for dump in (None, False, True):
        assert c.get_restore_progress(dump) is not None


def test_no_job_is_a_value_not_an_error(manual_clock: ManualClock) -> None:
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        c = client(sim)
        assert c.get_restore_progress() is None
        assert c.get_backup_progress() is None


def test_backup_progress_link_and_history(manual_clock: ManualClock) -> None:
    with Simulator("backup", api_key=KEY, clock=manual_clock) as sim:
        c = client(sim)
        running = c.get_backup_progress()
        assert running.operation is Operation.BACKUP and running.link == ""
        manual_clock.advance(1000)
        done = c.get_backup_progress()
        assert done.is_completed and not done.failed and not done.cancelled and done.link
        history = c.get_backup_history()
        assert any(r.id == done.task_id for r in history)
        assert any(r.expires_on is None for r in history)  # 0001-01-01 means never
        assert all(r.created_on.tzinfo is not None for r in history)
        schedule = c.get_backup_schedule()
        assert schedule.period is Period.EVERY_DAY and schedule.hour == 2 and schedule.backups_stored == 7
        assert schedule.storage_type is StorageType.DOCUMENTS


def test_failed_and_cancelled_jobs(manual_clock: ManualClock) -> None:
    with Simulator("fail", api_key=KEY, clock=manual_clock) as sim:
        manual_clock.advance(1000)
        failed = client(sim).get_restore_progress()
        assert failed.failed and failed.is_completed and failed.status is TaskStatus.COMPLETED
    with Simulator("cancel", api_key=KEY, clock=manual_clock) as sim:
        manual_clock.advance(1000)
        cancelled = client(sim).get_backup_progress()
        assert cancelled.cancelled and not cancelled.failed


def test_odd_but_legal_payload_parses(portal: Simulator) -> None:
    portal.inject("odd", count=1)
    odd = client(portal).get_restore_progress()
    assert odd is not None and 0 <= odd.progress <= 100


# ---------------------------------------------------------------- error kinds


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("401", Unauthorized),
        ("403-restoring", PortalRestoring),
        ("429", RateLimited),
        ("502", ServerError),
        ("503", ServerError),
        ("504", ServerError),
        ("malformed", UnexpectedResponse),
        ("wrong-shape", UnexpectedResponse),
        ("html-200", UnexpectedResponse),
        ("redirect", Redirected),
        ("drop", PortalUnreachable),
    ],
)
def test_each_fault_becomes_its_typed_error(portal: Simulator, fault: str, error: type[DocSpaceError]) -> None:
    portal.inject(fault, count=1)
    with pytest.raises(error) as caught:
        client(portal).get_backup_progress()
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert str(caught.value.message).endswith((".", ")"))


def test_retry_after_is_carried(portal: Simulator) -> None:
    portal.inject("429")
    with pytest.raises(RateLimited) as caught:
        client(portal).get_backup_progress()
    assert caught.value.retry_after == 7


def test_redirect_never_follows_and_names_only_the_host(portal: Simulator) -> None:
    portal.inject("redirect")
    with pytest.raises(Redirected) as caught:
        client(portal).get_backup_progress()
    assert caught.value.location_host == "elsewhere.example"
    assert portal.requests() == 1  # not followed


def test_transient_404_during_restore_is_retried(portal: Simulator) -> None:
    portal.inject("404", count=2, path="getrestoreprogress")
    assert client(portal).get_restore_progress() is not None
    portal.inject("404", count=5, path="getrestoreprogress")
    with pytest.raises(NotFound):
        client(portal).get_restore_progress()


@pytest.mark.slow
def test_slow_answer_times_out(manual_clock: ManualClock) -> None:
    with Simulator("restore", clock=manual_clock, slow_seconds=2) as sim:
        sim.inject("slow")
        with pytest.raises(PortalUnreachable) as caught:
            client(sim, timeout=(1, 0.5)).get_restore_progress()
        assert caught.value.reason == "timeout"


@pytest.mark.slow
def test_body_that_stalls_midway_times_out(manual_clock: ManualClock) -> None:
    with Simulator("restore", clock=manual_clock, slow_seconds=2) as sim:
        sim.inject("stall-body")
        with pytest.raises(PortalUnreachable):
            client(sim, timeout=(1, 0.5)).get_restore_progress()


@pytest.mark.slow
def test_connection_refused_dns_tls_and_connect_timeout(portal: Simulator) -> None:
    url = portal.url
    portal.stop()
    with pytest.raises(PortalUnreachable) as refused:
        client(url).get_restore_progress()
    assert refused.value.reason == "refused"
    with pytest.raises(PortalUnreachable) as dns:
        client("https://no-such-portal.invalid").get_restore_progress()
    assert dns.value.reason == "dns"
    with Unaccepting() as hanging:
        with pytest.raises(PortalUnreachable) as timeout:
            client(hanging, timeout=(0.3, 0.3)).get_restore_progress()
        assert timeout.value.reason == "timeout"


def test_tls_error(manual_clock: ManualClock) -> None:
    with Simulator("restore", clock=manual_clock) as sim, pytest.raises(PortalUnreachable) as caught:
        client(sim.url.replace("http://", "https://")).get_restore_progress()
    assert caught.value.reason in ("tls", "dropped")


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (402, b"", PaymentRequired),
        (402, b'{"error":{"message":"Payment required"},"status":1,"statusCode":402}', PaymentRequired),
        (403, b'{"error":{"message":"Access denied"},"status":1,"statusCode":403}', Forbidden),
        (403, b"", PortalRestoring),
        (404, b'{"error":{"message":"not found"},"status":1,"statusCode":404}', NotFound),
        (401, b"", Unauthorized),
        (429, b"", RateLimited),
        (400, b'{"error":{"message":"wrong folder type"},"status":1,"statusCode":400}', UnexpectedResponse),
        (500, b'{"error":{"message":"boom"},"status":1,"statusCode":500}', ServerError),
        (200, b'{"status":1,"statusCode":200}', UnexpectedResponse),
        (200, b'{"response":{"isCompleted":"maybe","progress":1,"backupProgressEnum":1},"status":0}',
         UnexpectedResponse),
    ],
)
def test_status_codes_with_and_without_bodies(status: int, body: bytes, error: type[DocSpaceError]) -> None:
    with Canned() as canned:
        canned.answer(status, body, Content_Type="application/json")
        with pytest.raises(error):
            client(canned).get_backup_progress()


def test_key_is_sent_as_bearer_only_to_protected_endpoints() -> None:
    with Canned() as canned:
        canned.answer(200, b'{"count":0,"status":0,"statusCode":200}')
        c = client(canned)
        c.get_restore_progress()
        c.get_backup_progress()
    restore, backup = canned.seen
    assert "Authorization" not in restore  # anonymous endpoint: the key is not needed, so not sent
    assert backup["Authorization"] == f"Bearer {KEY}"
    assert KEY not in restore["path"] and KEY not in backup["path"]
    assert KEY not in repr(c)


# ---------------------------------------------------------------- property: only results or typed errors

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["response", "status", "isCompleted", "progress", "error", "backupProgressEnum",
                         "tenantId", "taskId", "warning", "link", "id", "createdOn", "expiresOn", "cronParams",
                         "period", "hour", "x"]), children, max_size=6),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def canned_server():
    with Canned() as canned:
        yield canned


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(status=st.sampled_from([200, 201, 204, 301, 400, 401, 402, 403, 404, 415, 429, 500, 502, 503]),
       body=json_values | st.binary(max_size=40).map(lambda b: b),
       call=st.sampled_from(["get_restore_progress", "get_backup_progress", "get_backup_history",
                             "get_backup_schedule"]))
def test_any_answer_is_a_result_or_a_typed_error(canned_server: Canned, status: int, body, call: str) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    canned_server.answer(status, raw, Content_Type="application/json")
    try:
        getattr(client(canned_server), call)()
    except DocSpaceError as exc:
        assert KEY not in str(exc)


# ---------------------------------------------------------------- slow portals and trickling bodies


@pytest.mark.slow
def test_a_slow_but_healthy_portal_is_read_once_the_timeout_has_grown(manual_clock: ManualClock) -> None:
    """A portal that answers everything 1.2 s late, with a first read timeout of 0.5 s: the timeout
    doubles after each time-out (0.5 → 1 → 2) until the answers fit, instead of throwing them all away."""
    with Simulator("restore", clock=manual_clock, latency=1.2) as sim:
        c = client(sim, key=None, timeout=(1, 0.5), max_read=4.0, margin=0.5)
        for waited, grows_to in ((0.5, 1.0), (1.0, 2.0)):
            with pytest.raises(PortalUnreachable) as caught:
                c.get_restore_progress()
            assert caught.value.reason == "timeout"
            assert str(caught.value.sentence) == f"The portal did not answer within {waited:g} sec."
            assert f"the next check waits up to {grows_to:g} sec" in str(caught.value.advice)
            assert caught.value.label == "slow to answer"
        assert c.read_timeout == 2.0
        assert c.get_restore_progress() is not None  # 1.2 s late, and read


@pytest.mark.slow
def test_the_read_timeout_stops_growing_at_its_cap_and_says_so() -> None:
    with Simulator("restore", latency=60) as sim:  # accepts the connection, never answers
        c = client(sim, key=None, timeout=(1, 0.2), max_read=0.4, margin=0.2)
        for _ in range(3):
            with pytest.raises(PortalUnreachable) as caught:
                c.get_restore_progress()
        assert c.read_timeout == 0.4
        assert str(caught.value.sentence) == "The portal did not answer within 0.4 sec."
        assert caught.value.label == "unreachable" and "we keep trying" in str(caught.value.advice)


@pytest.mark.slow
def test_quick_answers_bring_the_read_timeout_back_down(manual_clock: ManualClock) -> None:
    with Simulator("restore", clock=manual_clock, latency=1.2) as sim:
        c = client(sim, key=None, timeout=(1, 0.5), max_read=4.0, margin=0.5)
        for _ in range(2):
            with pytest.raises(PortalUnreachable):
                c.get_restore_progress()
        assert c.get_restore_progress() is not None
        sim.latency = 0
        sizes = []
        for _ in range(8):
            c.get_restore_progress()
            sizes.append(c.read_timeout)
        assert sizes == sorted(sizes, reverse=True) and sizes[0] < 2.0  # step by step, not all at once
        assert sizes[-1] == 0.5  # back to where it started


@pytest.mark.slow
def test_the_deadline_holds_on_a_body_that_trickles(manual_clock: ManualClock) -> None:
    """One byte every 0.1 s would take about 30 s for the whole answer; each byte comes well inside the
    read timeout, so only a deadline that holds per byte stops it (here 0.5 + 0.5 s)."""
    with Simulator("restore", clock=manual_clock, trickle_interval=0.1) as sim:
        sim.inject("trickle")
        c = client(sim, key=None, timeout=(1, 0.5), max_read=4.0, margin=0.5)
        began = time.monotonic()
        with pytest.raises(PortalUnreachable) as caught:
            c.get_restore_progress()
        took = time.monotonic() - began
        assert caught.value.reason == "timeout"
        assert took < 3.0, took  # its 1 s deadline, on a busy machine; without it, max_read (4 s) or more


def test_the_default_deadline_is_the_read_timeout_plus_three_seconds() -> None:
    c = DocSpaceClient("https://portal.example")
    assert (c.read_timeout, c.deadline) == (5.0, 8.0)  # docs/pages.md's 8 s


def test_a_body_in_latin1_under_a_utf8_label_is_still_read(portal: Simulator) -> None:
    """The JSON is valid but its 'é' is one Latin-1 byte: read it leniently, so the failed restore's
    own words reach the viewer instead of "could not read"."""
    portal.inject("latin1", path="getrestoreprogress")
    failed = client(portal, key=None).get_restore_progress()
    assert failed is not None and failed.failed and failed.error == LATIN1_TEXT


def test_broken_json_is_an_answer_this_app_cannot_read(portal: Simulator) -> None:
    portal.inject("malformed")
    with pytest.raises(UnexpectedResponse) as caught:
        client(portal).get_backup_progress()
    assert str(caught.value.sentence) == "The portal answered, but with something this app cannot read."


def test_a_move_to_https_on_the_same_host_says_where_and_is_not_followed(portal: Simulator) -> None:
    portal.inject("https-redirect")
    with pytest.raises(Redirected) as caught:
        client(portal).get_backup_progress()
    moved = "https://" + portal.url.removeprefix("http://")
    assert caught.value.moved_to == moved
    assert str(caught.value.message) == (f"The portal moved to {moved}. Change 'url' in the app's settings "
                                    "to that address.")
    assert "another address" not in str(caught.value.message) and KEY not in str(caught.value.message)
    assert portal.requests() == 1  # not followed, so the key went nowhere else
