"""Email to people (issue #22), against a real SMTP server on loopback: the double opt-in, exactly one email
per outcome (through a restart too), the one-click unsubscribe, the limits, and no header injection."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lib.db import subscriptions as subs
from lib.db.store import HistoryStore
from lib.settings.config import AppConfig, PortalConfig
from lib.ui.mailroutes import confirm_page, unsubscribe_page
from lib.watching import subscribers
from lib.watching.watcher import Watcher
from simulator import ManualClock, Simulator
from tests.factories import KEY
from tests.servers import wait_until
from tests.smtp import body, link, mail_settings, smtp  # noqa: F401 - the fixture


def config(sim: Simulator, port: int, url: str, **mail) -> AppConfig:
    return AppConfig((PortalConfig("p0", sim.url, "Portal 0", KEY),), history_url=url,
                     mail=mail_settings(port, **mail))


def asked(what: str = "this-operation", kind: str = "restore") -> subscribers.Asked:
    return subscribers.Asked("p0", "Portal 0", kind, (what,), "", "en")


def run(w: Watcher, clock: ManualClock, seconds: int) -> None:
    w.sync()  # the first check lands before the clock moves (else it is stamped later with an earlier answer)
    for _ in range(seconds):
        clock.advance(1)
        w.sync()


def test_subscribe_confirm_one_email_unsubscribe(smtp, manual_clock: ManualClock, url: str) -> None:  # noqa: F811
    """On SQLite and PostgreSQL."""
    inbox, port = smtp
    with Simulator("restore", api_key=KEY, clock=manual_clock, speed=10) as sim:
        cfg = config(sim, port, url)
        store = HistoryStore(url, clock=manual_clock)
        said = subscribers.subscribe(store, cfg.mail, "ann@example.com", asked(), manual_clock())
        assert said.ok and "Check your inbox" in str(said.said)
        (confirmation,) = inbox.wait(1)
        assert confirmation["To"] == "ann@example.com" and "List-Unsubscribe" not in confirmation
        token = link(confirmation, "/confirm").split("t=")[1]
        status, page = confirm_page(cfg, store, token, manual_clock())
        assert status == 200 and "one email when this restore on Portal 0 ends" in page
        assert "ann@example.com" not in page
        assert confirm_page(cfg, store, token, manual_clock())[0] == 410  # single use
        again = confirm_page(cfg, store, token, manual_clock())[1]  # e.g. a mail scanner opened it first
        assert "Already confirmed" in again and "does not work" not in again
        w = Watcher(cfg, store, clock=manual_clock).start()
        try:
            run(w, manual_clock, 80)
            wait_until(lambda: len(inbox.messages) >= 2, "the outcome email")
            w.outbox.deliver_due()
        finally:
            w.stop()
        (told,) = inbox.to("ann@example.com")[1:]
        assert "Portal 0: the restore completed." in told["Subject"]
        assert told["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        one_click = told["List-Unsubscribe"].strip("<>")
        assert one_click == link(told, "/unsubscribe")
        assert "<" not in body(told, "plain") and "Portal 0: the restore completed." in body(told, "html")
        token = one_click.split("t=")[1]
        status, page = unsubscribe_page(cfg, store, token, False, manual_clock())
        assert status == 200 and 'method="post"' in page  # GET only asks
        assert "Stop the emails about Portal 0?" in page and "the weekly summary included" in page
        assert all(r["unsubscribed"] is None for r in store.at_once(subs.rows))
        status, page = unsubscribe_page(cfg, store, token, True, manual_clock())
        assert status == 200 and "It worked: no more emails about Portal 0 will be sent" in page
        assert '<a href="./?portal=p0">Open the app</a>' in page  # served by the app: relative, any base path
        assert all(r["unsubscribed"] is not None for r in store.at_once(subs.rows))
        assert unsubscribe_page(cfg, store, token + "x", True, manual_clock())[0] == 400
        store.close()


def test_after_unsubscribing_the_next_outcome_sends_nothing(smtp, manual_clock: ManualClock,  # noqa: F811
                                                            tmp_path: Path) -> None:
    inbox, port = smtp
    url = f"sqlite:///{tmp_path}/h.sqlite3"
    with Simulator("restore", api_key=KEY, clock=manual_clock, speed=10) as sim:
        cfg = config(sim, port, url)
        store = HistoryStore(url, clock=manual_clock)
        subscribers.subscribe(store, cfg.mail, "bob@example.com", asked("next-outcome"), manual_clock())
        token = link(inbox.wait(1)[0], "/confirm").split("t=")[1]
        (sub,) = subscribers.confirm(store, cfg.mail, token, manual_clock())
        link_ = subscribers.unsubscribe_link(store, cfg.mail, sub.id)
        assert subscribers.unsubscribe(store, cfg.mail, link_.split("t=")[1], manual_clock())[1].id == sub.id
        w = Watcher(cfg, store, clock=manual_clock).start()
        try:
            run(w, manual_clock, 80)
            (op,) = store.operations()
            assert op.outcome == "completed"
            w.outbox.deliver_due()
        finally:
            w.stop()
        assert len(inbox.messages) == 1  # the confirmation only
        store.close()


def test_the_link_pages_speak_the_subscribers_language_and_name_the_portal(smtp, manual_clock: ManualClock,  # noqa: F811
                                                                          tmp_path: Path) -> None:
    """Someone who asked in German reads German pages behind the email's links, whatever the browser says
    (``?lang=`` still wins); a link whose subscription is no longer kept says "this portal"."""
    inbox, port = smtp
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        cfg = config(sim, port, f"sqlite:///{tmp_path}/h.sqlite3")
        store = HistoryStore(cfg.history_url, clock=manual_clock)
        german = dataclasses.replace(asked("next-outcome"), language="de")
        assert subscribers.subscribe(store, cfg.mail, "gus@example.com", german, manual_clock()).ok
        token = link(inbox.wait(1)[0], "/confirm").split("t=")[1]
        status, page = confirm_page(cfg, store, token, manual_clock(), browser="en-US")
        assert status == 200 and '<html lang="de">' in page and "Portal 0" in page
        (sub,) = store.at_once(subs.rows)
        gone = subscribers.unsubscribe_link(store, cfg.mail, sub["id"]).split("t=")[1]
        status, page = unsubscribe_page(cfg, store, gone, False, manual_clock(), browser="en-US")
        assert status == 200 and '<html lang="de">' in page and "Portal 0" in page
        status, page = unsubscribe_page(cfg, store, gone, False, manual_clock(), lang="fr", browser="en-US")
        assert '<html lang="fr">' in page
        status, page = unsubscribe_page(cfg, store, gone, True, manual_clock(), browser="en-US")
        assert status == 200 and '<html lang="de">' in page and "Portal 0" in page
        store.at_once(lambda conn: conn.execute(subs.subscriptions.delete()))  # forgotten since
        status, page = unsubscribe_page(cfg, store, gone, True, manual_clock(), browser="en-US")
        assert status == 200 and '<html lang="en">' in page
        assert "no more emails about this portal" in page and "Portal 0" not in page
        store.close()


def test_restart_mid_restore_still_one_email(smtp, manual_clock: ManualClock, url: str) -> None:  # noqa: F811
    inbox, port = smtp
    with Simulator("restore", api_key=KEY, clock=manual_clock, speed=10) as sim:
        cfg = config(sim, port, url)
        store = HistoryStore(url, clock=manual_clock)
        subscribers.subscribe(store, cfg.mail, "cy@example.com", asked(), manual_clock(), verified=True)
        first = Watcher(cfg, store, clock=manual_clock).start()
        run(first, manual_clock, 40)
        first.stop()  # the app stops mid-restore
        second = Watcher(cfg, store, clock=manual_clock).start()
        run(second, manual_clock, 40)
        wait_until(lambda: inbox.messages, "the outcome email")
        second.outbox.deliver_due()
        second.stop()
        third = Watcher(cfg, store, clock=manual_clock).start()
        run(third, manual_clock, 10)
        third.outbox.deliver_due()
        third.stop()
        assert [m["Subject"] for m in inbox.messages] == ["✅ Portal 0: the restore completed."]
        store.close()


def test_an_email_whose_mail_server_was_down_is_sent_after_a_restart(smtp, manual_clock: ManualClock,  # noqa: F811
                                                                    tmp_path: Path) -> None:
    """The restore ends while the mail server is down; the app restarts before the retry: the email still
    goes, once (the event stays open until its emails were dealt with, not until they were queued)."""
    from lib.i18n import M_
    from lib.watching.outbox import Outbox
    from tests.servers import free_port

    inbox, port = smtp
    url = f"sqlite:///{tmp_path}/h.sqlite3"
    store = HistoryStore(url, clock=manual_clock)
    portal = (PortalConfig("p0", "https://p0.example.com", "Portal 0", KEY),)
    down = AppConfig(portal, history_url=url, mail=mail_settings(free_port()))
    subscribers.subscribe(store, down.mail, "hal@example.com", asked(), manual_clock(), verified=True)
    first = Outbox(down, store, clock=manual_clock)
    first.tell(("p0", "restore", "task-1", "completed"), M_("✅ Portal 0: the restore completed."))
    store.flush()
    assert first.deliver_due() == 1 and first.last_error is not None  # tried once; the next try is in 30 s
    manual_clock.advance(10)  # the app restarts before it
    again = Outbox(AppConfig(portal, history_url=url, mail=mail_settings(port)), store, clock=manual_clock)
    again.load()
    assert again.deliver_due() == 1
    (told,) = inbox.wait(1)
    assert told["To"] == "hal@example.com" and "the restore completed" in told["Subject"]
    third = Outbox(AppConfig(portal, history_url=url, mail=mail_settings(port)), store, clock=manual_clock)
    third.load()  # and once only: a later restart finds it dealt with
    assert third.deliver_due() == 0 and len(inbox.messages) == 1
    store.close()


def test_an_email_another_copy_claimed_and_never_sent_is_sent_after_the_grace(smtp, manual_clock: ManualClock,  # noqa: F811
                                                                              tmp_path: Path) -> None:
    """Copy A claims the email and dies before sending it; copy B, taking the outcome up, finds A's claim
    young and waits: after the grace it sends it (the outcome is not closed on a refused claim)."""
    from lib.db import lease
    from lib.i18n import M_
    from lib.watching.notify import CLAIM_GRACE
    from lib.watching.outbox import EVENT, Outbox

    inbox, port = smtp
    url = f"sqlite:///{tmp_path}/h.sqlite3"
    store = HistoryStore(url, clock=manual_clock)
    cfg = AppConfig((PortalConfig("p0", "https://p0.example.com", "Portal 0", KEY),), history_url=url,
                    mail=mail_settings(port))
    subscribers.subscribe(store, cfg.mail, "ivy@example.com", asked(), manual_clock(), verified=True)
    key = ("p0", "restore", "task-1", "completed")
    email_key = "|".join((*key, "mail", subs.sha("ivy@example.com")[:24]))
    store.at_once(lambda conn: lease.claim_alone(conn, "copy-a", email_key, "{}", manual_clock(), tries=4,
                                                 grace=CLAIM_GRACE))  # A claimed it, then died
    b = Outbox(cfg, store, clock=manual_clock)
    b.tell(key, M_("✅ Portal 0: the restore completed."))
    store.flush()
    b.deliver_due()
    assert not inbox.messages  # A's claim is young: A may be sending it right now
    assert [r["sent"] for k, r in store.notified().items() if k.endswith(EVENT)] == [None]  # still open
    manual_clock.advance(CLAIM_GRACE + 1)
    assert b.deliver_due() == 1
    (told,) = inbox.wait(1)
    assert told["To"] == "ivy@example.com"
    store.close()


def test_ten_times_in_a_minute_sends_at_most_three(smtp, manual_clock: ManualClock) -> None:  # noqa: F811
    inbox, port = smtp
    store = HistoryStore("sqlite://", clock=manual_clock)
    settings = mail_settings(port)
    answers = []
    for _ in range(10):
        answers.append(subscribers.subscribe(store, settings, "dee@example.com", asked(), manual_clock()))
        manual_clock.advance(5)
    assert len(inbox.wait(3)) == 3
    assert [a.ok for a in answers] == [True] * 3 + [False] * 7
    assert "Too many confirmation emails" in str(answers[-1].said)
    for n in range(40):  # the app's own limit: 30 an hour, whoever asks
        subscribers.subscribe(store, settings, f"u{n}@example.com", asked(), manual_clock())
    assert len(inbox.wait(30)) == 30
    manual_clock.advance(3600)
    assert subscribers.subscribe(store, settings, "dee@example.com", asked(), manual_clock()).ok
    store.close()


@pytest.mark.parametrize("address", ["a@b.c\r\nBcc: x@y.z", "a@b.c\nBcc: x@y.z", "Ann <a@example.com>",
                                     "not an address", "a@example.com, b@example.com", ""])
def test_bad_addresses_are_refused_and_nothing_is_sent(smtp, manual_clock: ManualClock, address: str) -> None:  # noqa: F811
    inbox, port = smtp
    store = HistoryStore("sqlite://", clock=manual_clock)
    said = subscribers.subscribe(store, mail_settings(port), address, asked(), manual_clock())
    assert not said.ok and "not an email address" in str(said.said)
    assert not inbox.messages and not store.at_once(subs.rows)
    store.close()


def test_domains_limit_who_may_subscribe(smtp, manual_clock: ManualClock) -> None:  # noqa: F811
    inbox, port = smtp
    store = HistoryStore("sqlite://", clock=manual_clock)
    settings = mail_settings(port, domains=("example.com",))
    assert not subscribers.subscribe(store, settings, "eve@elsewhere.org", asked(), manual_clock()).ok
    assert subscribers.subscribe(store, settings, "eve@team.example.com", asked(), manual_clock()).ok
    assert len(inbox.wait(1)) == 1
    store.close()


def test_a_confirmation_link_expires_and_a_forged_one_does_nothing(smtp, manual_clock: ManualClock) -> None:  # noqa: F811
    inbox, port = smtp
    store = HistoryStore("sqlite://", clock=manual_clock)
    settings = mail_settings(port)
    subscribers.subscribe(store, settings, "fay@example.com", asked(), manual_clock())
    token = link(inbox.wait(1)[0], "/confirm").split("t=")[1]
    forged = subscribers.sign("another secret at least 16", token.rpartition(".")[0])
    assert subscribers.confirm(store, settings, forged, manual_clock()) == []
    assert subscribers.confirm(store, settings, token, manual_clock() + 25 * 3600) == []
    assert subscribers.confirm(store, settings, token, manual_clock() + 3600)
    store.close()


def test_no_password_in_a_failure(manual_clock: ManualClock, caplog) -> None:
    store = HistoryStore("sqlite://", clock=manual_clock)
    from tests.servers import free_port

    settings = dataclasses.replace(mail_settings(free_port()))
    settings = dataclasses.replace(settings, smtp=dataclasses.replace(settings.smtp, username="u",
                                                                      password="hunter2-secret"))
    said = subscribers.subscribe(store, settings, "gil@example.com", asked(), manual_clock())
    assert not said.ok and "could not be reached" in str(said.said)
    assert "hunter2" not in str(said.said) and "hunter2" not in caplog.text and "hunter2" not in repr(settings)
    store.close()


def test_two_copies_watching_at_once_send_one_email(smtp, manual_clock: ManualClock, tmp_path: Path) -> None:  # noqa: F811
    inbox, port = smtp
    url = f"sqlite:///{tmp_path}/h.sqlite3"
    with Simulator("restore", api_key=KEY, clock=manual_clock, speed=10) as sim:
        cfg = config(sim, port, url)
        stores = [HistoryStore(url, clock=manual_clock) for _ in range(2)]
        subscribers.subscribe(stores[0], cfg.mail, "dan@example.com", asked(), manual_clock(), verified=True)
        copies = [Watcher(cfg, store, clock=manual_clock).start() for store in stores]
        try:
            for w in copies:
                w.sync()  # the first checks land before the clock moves
            for _ in range(80):
                manual_clock.advance(1)
                for w in copies:
                    w.sync()
            wait_until(lambda: inbox.messages, "the outcome email")
            for w in copies:
                w.outbox.deliver_due()
        finally:
            for w in copies:
                w.stop()
        assert len(inbox.messages) == 1
        for store in stores:
            store.close()


def test_a_missed_backup_is_told_to_who_asked_and_not_after_unsubscribing(smtp, manual_clock: ManualClock,  # noqa: F811
                                                                          tmp_path: Path) -> None:
    inbox, port = smtp
    url = f"sqlite:///{tmp_path}/h.sqlite3"
    with Simulator("overdue", api_key=KEY, clock=manual_clock) as sim:
        cfg = config(sim, port, url)
        store = HistoryStore(url, clock=manual_clock)
        subscribers.subscribe(store, cfg.mail, "ed@example.com", asked("missed", "backup"), manual_clock(),
                              verified=True)
        subscribers.subscribe(store, cfg.mail, "flo@example.com", asked("missed", "backup"), manual_clock(),
                              verified=True)
        flo = next(r for r in store.at_once(subs.rows) if r["address"] == "flo@example.com")
        token = subscribers.unsubscribe_link(store, cfg.mail, flo["id"]).split("t=")[1]
        assert subscribers.unsubscribe(store, cfg.mail, token, manual_clock())[1].address == "flo@example.com"
        w = Watcher(cfg, store, clock=manual_clock).start()
        try:
            w.sync()  # the first check lands before the clock moves
            for _ in range(5):
                manual_clock.advance(60)
                w.sync()
            wait_until(lambda: inbox.messages, "the overdue email")
            w.outbox.deliver_due()
        finally:
            w.stop()
        assert [(m["To"], "a scheduled backup is overdue" in m["Subject"]) for m in inbox.messages] == \
            [("ed@example.com", True)]
        store.close()


def test_the_watcher_sends_the_weekly_summary_when_due_once(smtp, manual_clock: ManualClock) -> None:  # noqa: F811
    from datetime import UTC, datetime

    from lib.views.digest import compose
    from lib.watching.outbox import Outbox

    inbox, port = smtp
    monday_8 = datetime(2026, 11, 30, 8, tzinfo=UTC).timestamp()
    manual_clock.advance(monday_8 - 3600 - manual_clock())
    store = HistoryStore("sqlite://", clock=manual_clock)
    cfg = AppConfig((PortalConfig("p0", "https://p0.example.com", "Portal 0", KEY),), history_url="sqlite://",
                    mail=mail_settings(port, digest_to=("boss@example.com",)))
    subscribers.subscribe(store, cfg.mail, "gus@example.com", asked("digest", ""), manual_clock(), verified=True)
    outbox = Outbox(cfg, store, clock=manual_clock, compose=compose)
    assert outbox.digest_if_due() == 0  # Monday 07:00: not yet
    manual_clock.advance(3600)
    assert outbox.digest_if_due() == 2
    manual_clock.advance(3600)
    assert Outbox(cfg, store, clock=manual_clock, compose=compose).digest_if_due() == 0  # another copy, same week
    mails = {m["To"]: m for m in inbox.wait(2)}
    assert set(mails) == {"boss@example.com", "gus@example.com"}
    assert "List-Unsubscribe" not in mails["boss@example.com"]  # set up by the admin, not a subscriber
    assert mails["gus@example.com"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    names = [p.get_filename() or "" for p in mails["boss@example.com"].iter_attachments()]
    assert any(name.endswith(".csv") for name in names)
    manual_clock.advance(7 * 86_400)
    assert outbox.digest_if_due() == 2  # the next week
    store.close()


def test_the_weekly_summary_is_made_once_for_the_same_portals_and_not_looked_for_at_every_round(
        smtp, manual_clock: ManualClock) -> None:  # noqa: F811
    """Three addresses set up by the admin get one summary made once; after it went, the outbox's rounds
    (every 30 s, or every half second while an email waits) look for recipients every 5 minutes, not each time."""
    from datetime import UTC, datetime

    from lib.views.digest import compose
    from lib.watching.outbox import DIGEST_EVERY, Outbox

    inbox, port = smtp
    manual_clock.advance(datetime(2026, 11, 30, 8, tzinfo=UTC).timestamp() - manual_clock())
    store = HistoryStore("sqlite://", clock=manual_clock)
    cfg = AppConfig((PortalConfig("p0", "https://p0.example.com", "Portal 0", KEY),), history_url="sqlite://",
                    mail=mail_settings(port, digest_to=("a@example.com", "b@example.com", "c@example.com")))
    made = []

    def counted(*args):
        made.append(args)
        return compose(*args)

    outbox = Outbox(cfg, store, clock=manual_clock, compose=counted)
    assert outbox.digest_if_due() == 3 and len(made) == 1
    reads = []
    at_once = store.at_once
    store.at_once = lambda work: (reads.append(work), at_once(work))[1]
    for _ in range(120):  # an hour of rounds every 30 s
        manual_clock.advance(30)
        outbox.digest_if_due()
    assert len(inbox.wait(3)) == 3 and len(made) == 1
    assert 0 < len(reads) <= (3600 / DIGEST_EVERY) * 4  # who gets it, and each one's tries: every 5 minutes
    store.close()


def test_send_digest_from_the_command_line(smtp, tmp_path: Path) -> None:  # noqa: F811
    import subprocess
    import sys

    from tests.conftest import ROOT

    inbox, port = smtp
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[portals.prod]\nurl = "https://prod.example.com"\nlabel = "Production"\n\n'
                       f'[history]\nurl = "sqlite:///{tmp_path}/h.sqlite3"\n\n'
                       f'[email]\nhost = "127.0.0.1"\nport = {port}\nfrom = "monitor@example.com"\nsecurity = "none"\n'
                       f'username = "u"\npassword = "cli-smtp-password"\n\n[digest]\nto = ["boss@example.com"]\n')
    run = subprocess.run([sys.executable, "-m", "lib.watch", "--send-digest", "--secrets", str(secrets)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    # aiosmtpd offers no AUTH on a plain connection: the login is refused, said without the password
    assert run.returncode == 1, run.stdout + run.stderr
    assert "cli-smtp-password" not in run.stdout + run.stderr and "Traceback" not in run.stderr
    assert "does not offer" in run.stdout
    secrets.write_text(secrets.read_text().replace('username = "u"\npassword = "cli-smtp-password"\n', ""))
    run = subprocess.run([sys.executable, "-m", "lib.watch", "--send-digest", "--secrets", str(secrets)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "weekly summary sent to 1 recipient(s)" in run.stdout, run.stdout + run.stderr
    (mail,) = inbox.wait(1)
    assert mail["To"] == "boss@example.com" and "Production" in mail["Subject"]
    # one recipient refused, the next one sent: the run still fails (the failure is not hidden by the last send)
    inbox.refused.add("gone@example.com")
    secrets.write_text(secrets.read_text().replace('to = ["boss@example.com"]',
                                                   'to = ["gone@example.com", "new@example.com"]'))
    run = subprocess.run([sys.executable, "-m", "lib.watch", "--send-digest", "--secrets", str(secrets)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "sent to 1 recipient(s); not sent to 1" in run.stdout, run.stdout + run.stderr
    assert [m["To"] for m in inbox.wait(2)] == ["boss@example.com", "new@example.com"]


def test_the_portals_words_are_escaped_in_html_and_a_line_break_never_reaches_a_header() -> None:
    from lib.watching import mailer

    letter = mailer.Letter("ann@example.com", "❌ Portal 0: the restore failed",
                           ('❌ Portal 0: the restore failed at 42%: <img src="http://x/t.png"> & <script>',),
                           (("See its timeline", 'https://a.example.com/history?portal=p0&x="y"'),),
                           unsubscribe="https://a.example.com/unsubscribe?t=u-1.abc")
    msg = mailer.build(letter, "monitor@example.com")
    rich = body(msg, "html")
    assert "<img" not in rich and "<script" not in rich and "&lt;img src=&quot;http://x/t.png&quot;&gt;" in rich
    assert 'href="https://a.example.com/history?portal=p0&amp;x=&quot;y&quot;"' in rich
    assert msg["List-Unsubscribe"] == "<https://a.example.com/unsubscribe?t=u-1.abc>"
    for bad in ({"to": "a@b.c\r\nBcc: x@y.z"}, {"subject": "hi\nBcc: x@y.z"}):
        with pytest.raises(mailer.MailError):
            mailer.build(dataclasses.replace(letter, **bad), "monitor@example.com")


def test_an_outcome_decided_by_a_copy_that_stopped_is_emailed_by_the_next_once(smtp, manual_clock: ManualClock) -> None:  # noqa: F811
    from lib.watching import messages
    from lib.watching.outbox import Outbox

    inbox, port = smtp
    store = HistoryStore("sqlite://", clock=manual_clock)
    cfg = AppConfig((PortalConfig("p0", "https://p0.example.com", "Portal 0", KEY),), history_url="sqlite://",
                    mail=mail_settings(port))
    subscribers.subscribe(store, cfg.mail, "hal@example.com", asked(), manual_clock(), verified=True)
    stopped = Outbox(cfg, store, clock=manual_clock)
    stopped.tell(("p0", "restore", "run-1", "completed"),
                 messages.outcome("p0", "Portal 0", "restore", "completed", 100, ""))
    store.flush()  # decided and written; the copy stops before it found anyone to tell
    for _ in range(2):
        nxt = Outbox(cfg, store, clock=manual_clock)
        nxt.load()
        nxt.deliver_due()
        store.flush()
    assert [m["Subject"] for m in inbox.wait(1)] == ["✅ Portal 0: the restore completed."]
    store.close()


def test_emails_sent_and_failed_are_counted_for_metrics(smtp, manual_clock: ManualClock) -> None:  # noqa: F811
    from datetime import UTC, datetime

    from lib.views.digest import compose
    from lib.watching.counts import Counts
    from lib.watching.outbox import Outbox
    from tests.servers import free_port

    inbox, port = smtp
    manual_clock.advance(datetime(2026, 11, 30, 8, tzinfo=UTC).timestamp() - manual_clock())  # Monday 08:00
    for reachable, expected in ((True, (2, 0)), (False, (0, 2))):
        store = HistoryStore("sqlite://", clock=manual_clock)
        cfg = AppConfig((PortalConfig("p0", "https://p0.example.com", "Portal 0", KEY),), history_url="sqlite://",
                        mail=mail_settings(port if reachable else free_port(),
                                           digest_to=("boss@example.com", "ivy@example.com")))
        counts = Counts()
        Outbox(cfg, store, clock=manual_clock, compose=compose, counts=counts).digest_if_due()
        assert (counts.delivered["email", True], counts.delivered["email", False]) == expected
        store.close()
    assert len(inbox.wait(2)) == 2


def test_confirmation_emails_sent_and_failed_are_counted_for_metrics(smtp, manual_clock: ManualClock) -> None:  # noqa: F811
    from lib.watching.counts import Counts
    from tests.servers import free_port

    _, port = smtp
    counts = Counts()
    for server in (port, free_port()):  # the mail server answers, then one that refuses the connection
        store = HistoryStore("sqlite://", clock=manual_clock)
        subscribers.subscribe(store, mail_settings(server), "kim@example.com", asked(), manual_clock(), counts=counts)
        store.close()
    subscribers.subscribe(HistoryStore("sqlite://", clock=manual_clock), mail_settings(port), "kim@example.com",
                          asked(), manual_clock(), verified=True, counts=counts)  # no email: nothing counted
    assert (counts.delivered["confirmation", True], counts.delivered["confirmation", False]) == (1, 1)
    assert counts.delivered["email", True] == 0  # not an outcome email or a weekly summary


def test_a_weekly_summary_that_cannot_be_sent_is_retried_as_an_email_is_then_given_up(
        manual_clock: ManualClock) -> None:
    """Its mail server is down all morning: tries after 0 s, 30 s, 2 min and 10 min, then none — not one
    every round of the outbox for the whole day."""
    from datetime import UTC, datetime

    from lib.views.digest import compose
    from lib.watching.counts import Counts
    from lib.watching.outbox import Outbox
    from tests.servers import free_port

    manual_clock.advance(datetime(2026, 11, 30, 8, tzinfo=UTC).timestamp() - manual_clock())  # Monday 08:00
    store = HistoryStore("sqlite://", clock=manual_clock)
    cfg = AppConfig((PortalConfig("p0", "https://p0.example.com", "Portal 0", KEY),), history_url="sqlite://",
                    mail=mail_settings(free_port(), digest_to=("boss@example.com",)))
    counts = Counts()
    outbox = Outbox(cfg, store, clock=manual_clock, compose=compose, counts=counts)
    tried_at = []
    for _ in range(6 * 120):  # every 30 s (the outbox's idle round) for six hours
        before = counts.delivered["email", False]
        outbox.digest_if_due()
        if counts.delivered["email", False] > before:
            tried_at.append(manual_clock() - datetime(2026, 11, 30, 8, tzinfo=UTC).timestamp())
        manual_clock.advance(30)
    assert tried_at == [0, 30, 150, 750]
    assert counts.delivered["email", True] == 0
    store.close()


def test_a_mail_server_that_cannot_be_reached_is_said_in_plain_words() -> None:
    """What the live page shows a viewer: why, in words, never an exception's name."""
    from lib.i18n import ENGLISH
    from lib.settings.mail import Smtp
    from lib.watching import mailer
    from tests.servers import free_port

    letter = mailer.build(mailer.Letter("a@example.com", "Hello", ("Hi.",)), "monitor@example.com")
    port = free_port()
    for host, why in (("127.0.0.1", f"The mail server 127.0.0.1:{port} could not be reached: it refused the "
                                    "connection."),
                      ("mail.example.invalid", f"The mail server mail.example.invalid:{port} could not be reached: "
                                               "its address was not found.")):
        with pytest.raises(mailer.MailError) as failed:
            mailer.send(Smtp(host, port, "monitor@example.com", "none"), letter)
        assert ENGLISH.say(failed.value.said) == why
