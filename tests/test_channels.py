"""Apprise channels ([notify] urls) beside the webhook: each gets every message once, with a title, a body
and a link to the app; a slow or failing channel never delays another and is named when it fails (never by
its address); the portal's own words arrive inert. Real Apprise, real HTTP to receivers on loopback."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lib.db import schema
from lib.db.store import HistoryStore
from lib.jobs.phases import Phase
from lib.portal.models import Operation
from lib.settings.config import load
from lib.settings.errors import ConfigError
from lib.watching import messages
from lib.watching.lease import BEAT, TTL
from lib.watching.notify import Notifier
from simulator import Simulator
from tests.apptest import make_app
from tests.factories import KEY, T0, ManualClock, Mono, copy
from tests.pg import count_rows
from tests.servers import wait_until

APP = "https://backups.example.com"
EVIL = "<!channel> <https://evil.example|Open DocSpace> \u202e [Open DocSpace](https://evil.example) @here"


class Receiver:
    """A loopback HTTP receiver: records each POST (its body and when it came), answers ``status``, or with
    ``trickle`` sends its headers and then one byte every ``trickle`` seconds until the client goes away."""

    def __init__(self, status: int = 200, trickle: float | None = None) -> None:
        self.status, self.trickle = status, trickle
        self.posted: list[tuple[float, bytes]] = []
        self.got = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.posted.append((time.monotonic(), body))
                owner.got.set()
                self.send_response(owner.status)
                if owner.trickle is None:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_header("Content-Length", "100000")
                self.end_headers()
                try:
                    for _ in range(100000):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(owner.trickle)
                except OSError:
                    return

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{port}/hook/SECRET-TOKEN"
        self.json = f"json://127.0.0.1:{port}/json/SECRET-TOKEN"

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, body in self.posted]

    def __enter__(self) -> Receiver:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def store() -> HistoryStore:
    store = HistoryStore("sqlite://")
    assert store.open()
    return store


def failed(text: str = "The backup file is invalid.") -> messages.Note:
    return messages.outcome("prod", "Production", "restore", "failed", 42, text, took=754.0)


@pytest.mark.slow
def test_a_json_channel_is_told_how_it_ended_with_a_link_to_the_app(manual_clock: ManualClock, tick) -> None:
    with Receiver() as channel, Simulator("fail", api_key=KEY, clock=manual_clock) as sim:
        at = make_app(sim, notify={"urls": [channel.json], "app_url": APP + "/"})
        tick(at)
        tick(at, 400)
        assert channel.got.wait(10)
        tick(at, 10)
    (told,) = channel.bodies()
    assert told["title"] == "❌ Production: the restore failed at 42%: The backup file is invalid."
    lines = told["message"].splitlines()
    assert lines[0].startswith("It took ") and lines[0] != "It took 0 sec."
    assert lines[-1] == f"Open it in the app: {APP}/?portal=prod"


def test_without_app_url_no_link_and_the_settings_say_so() -> None:
    portals = {"prod": {"url": "https://prod.example.com"}}
    config = load({"portals": portals, "notify": {"urls": ["json://127.0.0.1:9/x"]}})
    assert config.app_url is None
    assert [str(n) for n in config.notes] == ["'notify.app_url' is not set, so notifications carry no link to the "
                                              "app; set it to the address people open the app at."]
    assert load({"portals": portals, "notify": {"urls": ["json://127.0.0.1:9/x"], "app_url": APP}}).notes == ()
    assert load({"portals": portals}).notes == ()  # nothing to tell, nothing to link
    n = Notifier(None, HistoryStore("sqlite://"), urls=("json://127.0.0.1:9/x",))
    title, body = n.said(n.lanes[0], failed())
    assert "http" not in title + body and body.startswith("It took 12 min")
    n.app_url = APP
    assert n.said(n.lanes[0], failed())[1].endswith(f"\nOpen it in the app: {APP}/?portal=prod")


def test_a_wrong_channel_url_names_its_place_never_the_url() -> None:
    portals = {"prod": {"url": "https://prod.example.com"}}
    with pytest.raises(ConfigError) as caught:
        load({"portals": portals, "notify": {"urls": ["json://127.0.0.1:9/x", "nosuch://SECRET-TOKEN@host"]}})
    said = str(caught.value.message)
    assert said.startswith("'notify.urls' entry 2 is not an address Apprise can send to") and "SECRET" not in said
    for wrong in ("https://x.example/?a=1", "ftp://x.example", "https://user:pw@x.example"):
        with pytest.raises(ConfigError, match=r"notify\.app_url"):
            load({"portals": portals, "notify": {"app_url": wrong}})


@pytest.mark.slow
@pytest.mark.parametrize("slow", ["webhook", "apprise"])
def test_a_trickling_channel_never_delays_another_and_fails_at_its_deadline(slow: str, store: HistoryStore) -> None:
    with Receiver(trickle=0.1) as bad, Receiver() as good:
        webhook, url = (bad.url, good.json) if slow == "webhook" else (good.url, bad.json)
        n = Notifier(webhook, store, urls=(url,), deadline=5.0)  # room for the good one on a busy machine
        n.start()
        try:
            asked = time.monotonic()
            assert n.notify(("prod", "restore", "t", "failed"), failed())
            assert good.got.wait(10) and bad.got.wait(10)
            good_lane = n.lanes[0] if slow == "apprise" else n.lanes[1]
            wait_until(lambda: not good_lane.queue, "the good channel has its message")
            # …while the trickling one is still on its way (its deadline not yet reached, nothing said yet)
            assert n.last_error is None and n.waiting == 1
            error = wait_until(lambda: n.last_error, "the trickling channel is reported", 20)
            failed_after = time.monotonic() - asked
        finally:
            n.stop()
    name = "The webhook" if slow == "webhook" else "Notification channel 1 (JSON)"
    assert str(error) == (f"The notification could not be sent: {name} did not answer within 5 sec. "
                          "Trying again in 30 sec.")
    assert failed_after >= 5.0 and len(good.posted) == 1


def test_a_failing_channel_says_which_and_its_status_never_its_url(store: HistoryStore, caplog) -> None:
    with Receiver(status=500) as hook, Receiver(status=503) as channel:
        n = Notifier(hook.url, store, urls=(channel.json, "json://127.0.0.1:9/refused/SECRET-TOKEN"))
        n.notify(("prod", "restore", "t", "failed"), failed())
        n.deliver_due()
    said = [str(lane.error) for lane in n.lanes]
    assert said == ["The notification could not be sent: The webhook answered HTTP 500. Trying again in 30 sec.",
                    "The notification could not be sent: Notification channel 1 (JSON) answered HTTP 503. Trying "
                    "again in 30 sec.",
                    "The notification could not be sent: Notification channel 2 (JSON) could not be reached. Trying "
                    "again in 30 sec."]
    assert "SECRET-TOKEN" not in caplog.text + str(store.notified()) and "127.0.0.1" not in caplog.text


def test_the_portals_markup_arrives_inert(store: HistoryStore) -> None:
    with Receiver() as hook, Receiver() as channel:
        n = Notifier(hook.url, store, urls=(channel.json,), app_url=APP)
        n.notify(("prod", "restore", "t", "failed"), failed(EVIL))
        assert n.deliver_due() == 2
    (slack,) = [json.loads(body)["text"] for _, body in hook.posted]
    (other,) = channel.bodies()
    apprised = other["title"] + "\n" + other["message"]
    for text in (slack, apprised):
        assert "<!channel>" not in text and "<https://evil.example|" not in text and "\u202e" not in text
        assert "](https://evil" not in text and "@here" not in text
        assert text.endswith(f"Open it in the app: {APP}/?portal=prod")  # our own link is whole
    assert "&lt;!channel&gt; &lt;https://evil.example|Open DocSpace&gt;" in slack  # Slack's escaping
    assert "Production: the restore failed at 42%: <\u2060!channel\u2060>" in apprised  # reads the same


@pytest.mark.slow
def test_two_copies_tell_each_channel_once(url: str, tmp_path: Path) -> None:
    """Two copies that both think they watch both decide the restore's end: the webhook and the Apprise
    channel each get it once (a claim per channel), and a restart sends nothing again."""
    clock = ManualClock(T0)
    with Receiver() as hook, Receiver() as channel, Simulator("restore", api_key=KEY, clock=clock) as sim:
        config = load({"portals": {"prod": {"url": sim.url, "label": "Production"}},
                       "monitor": {"refresh_seconds": 2}, "history": {"url": url},
                       "notify": {"webhook_url": hook.url, "urls": [channel.json], "app_url": APP}})
        mono_a, mono_b = Mono(), Mono()
        a, b = copy(config, url, clock, mono_a), copy(config, url, clock, mono_b)
        a.start()
        b.start()
        try:
            assert a.watcher is not None
            a.watcher.sync()  # its first check lands before the clock moves
            clock.advance(400)
            a.watcher.sync()
            assert a.store.flush()
            mono_b.now += TTL  # a is paused past its lease: b takes over, and a has not noticed
            b.lease.step()
            b.watcher.sync()  # b's first check lands before time moves on (else it may answer for 400 s at 700 s)
            clock.advance(300)  # the restore ends; both see it and both decide to tell it
            a.watcher.sync()
            b.watcher.sync()
            for watcher in (a.watcher, b.watcher):
                assert watcher.progress("prod", Operation.RESTORE).phase is Phase.COMPLETED
                assert watcher.notifier.decisions == 1
            wait_until(lambda: hook.posted and channel.posted and not a.watcher.notifier.waiting
                       and not b.watcher.notifier.waiting, "both copies have dealt with their messages")
            mono_b.now += BEAT
            b.lease.step()
            mono_a.now += BEAT
            a.lease.step()
        finally:
            a.stop()
            b.stop()
        again = copy(config, url, clock, Mono())  # a restart on the same database
        again.start()
        try:
            assert again.watcher is not None
            again.watcher.notifier.load()
            assert again.watcher.notifier.deliver_due() == 0
        finally:
            again.stop()
    assert [json.loads(b)["text"].splitlines()[0] for _, b in hook.posted] == ["✅ Production: the restore completed."]
    assert [m["title"] for m in channel.bodies()] == ["✅ Production: the restore completed."]
    assert count_rows(url, schema.notifications) == 2  # the message (the webhook's claim), the channel's claim




def test_a_webhook_that_cannot_be_connected_to_or_answers_too_much_is_said_so() -> None:
    from lib.channels import ChannelFailed
    from lib.portal.client import MAX_BODY, post_webhook
    from tests.canned import Canned, Unaccepting

    with Unaccepting() as url, pytest.raises(ChannelFailed) as caught:  # a full backlog: connecting times out
        post_webhook(url + "/hook", {"text": "x"}, deadline=2.0)
    assert caught.value.reached is False and caught.value.waited is None  # "could not be reached"
    with Canned() as relay:
        relay.answer(200, b"x" * (MAX_BODY + 1))
        with pytest.raises(ChannelFailed) as caught:
            post_webhook(relay.url + "/hook", {"text": "x"})
    assert (caught.value.status, caught.value.waited, caught.value.reached) == (None, None, True)  # "did not take"
