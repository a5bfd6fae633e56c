"""The "Tell me when it ends" form on the pages (AppTest), the weekly summary's content, and the settings."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lib import i18n
from lib.db import subscriptions as subs
from lib.db.store import HistoryStore
from lib.settings.config import load
from lib.settings.errors import ConfigError
from lib.ui.state import CONTEXT
from lib.views.digest import compose
from simulator import Simulator
from tests.apptest import make_app, texts
from tests.factories import KEY, ManualClock
from tests.smtp import body, smtp  # noqa: F401 - the fixture


def email(port: int, **more) -> dict:
    return {"host": "127.0.0.1", "port": port, "from": "monitor@example.com", "security": "none",
            "secret": "s" * 32} | more


def form_app(sim: Simulator, port: int) -> AppTest:
    """The app with a mail server and the address people open it at: the form is on."""
    return make_app(sim, email=email(port), notify={"app_url": "http://127.0.0.1:8501"})


def form_of(at):
    (field,) = [t for t in at.text_input if t.label == "Email"]
    (button,) = [b for b in at.button if b.label.startswith("Tell me")]
    return field, button


def test_the_live_page_offers_tell_me_and_says_one_sentence(smtp, manual_clock: ManualClock, tick) -> None:  # noqa: F811
    inbox, port = smtp
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = form_app(sim, port)
        tick(at)
        field, button = form_of(at)
        assert button.label == "Tell me when it ends"
        field.input("a@b.c\r\nBcc: x@y.z")
        button.click()
        tick(at)
        assert "That is not an email address we can write to" in texts(at)
        field, button = form_of(at)
        field.input("ann@example.com")
        button.click()
        tick(at)
        assert "Check your inbox" in texts(at)
        assert len(inbox.wait(1)) == 1 and "ann@example.com" not in texts(at).replace("name@example.com", "")
        assert at.session_state[CONTEXT].source.counts.delivered["confirmation", True] == 1  # for /metrics
        for _ in range(3):
            field, button = form_of(at)
            field.input("ann@example.com")
            button.click()
            tick(at)
        assert "Too many confirmation emails" in texts(at)
        assert len(inbox.messages) == 3


def test_backups_page_offers_a_weekly_summary_and_the_form_is_off_without_app_url(
        smtp, manual_clock: ManualClock, tick) -> None:  # noqa: F811
    _inbox, port = smtp
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        at = form_app(sim, port)
        tick(at.switch_page("app_pages/backups.py"))
        _field, button = form_of(at)
        assert "weekly summary" in button.label
        tick(at.switch_page("app_pages/backup.py"))  # no backup runs
        _field, button = form_of(at)
        assert button.label == "Tell me when the next one ends or if a backup is missed"
        at = make_app(sim, email=email(port))
        tick(at)
        assert not [t for t in at.text_input if t.label == "Email"]
        assert "[notify] app_url is not set" in texts(at)
        at = make_app(sim, email=email(port, subscribe=False), notify={"app_url": "http://127.0.0.1:8501"})
        tick(at)
        assert not [t for t in at.text_input if t.label == "Email"]


@pytest.mark.parametrize(("table", "said"), [
    ({"email": {"host": "smtp.example.com"}}, "'email.from'"),
    ({"email": {"host": "smtp.example.com", "from": "a@example.com", "security": "tls"}}, "'email.security'"),
    ({"email": {"host": "smtp.example.com", "from": "a@example.com", "port": "25"}}, "'email.port'"),
    ({"email": {"host": "smtp.example.com", "from": "a@example.com", "password": "pw-secret"}}, "'email.password'"),
    ({"email": {"host": "h", "from": "a@example.com", "subscribe_domains": "example.com"}}, "subscribe_domains"),
    ({"digest": {"to": ["m@example.com"]}}, "'digest.to' needs an [email]"),
    ({"email": {"host": "h", "from": "a@example.com"}, "digest": {"day": "funday"}}, "'digest.day'"),
    ({"email": {"host": "h", "from": "a@example.com"}, "digest": {"hour": 24}}, "'digest.hour'"),
    ({"email": {"host": "h", "from": "a@example.com"}, "digest": {"timezone": "Mars/Base"}}, "'digest.timezone'"),
    ({"email": {"host": "h", "from": "a@example.com"}, "notify": {"app_url": "ftp://x"}}, "'notify.app_url'"),
    ({"email": {"host": "h", "from": "a@example.com", "colour": 1}}, "Unknown setting 'email.colour'"),
])
def test_bad_mail_settings_are_one_sentence(table: dict, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(table)
    assert said in caught.value.message and "pw-secret" not in caught.value.message


def test_mail_settings_defaults() -> None:
    mail = load({"email": {"host": "smtp.example.com", "from": "a@example.com", "username": "u", "password": "p"},
                 "notify": {"app_url": "https://backups.example.com/"}}).mail
    assert mail is not None and mail.smtp is not None
    assert (mail.smtp.security, mail.smtp.port, mail.subscribe, mail.digest_day, mail.digest_hour) == \
        ("starttls", 587, True, 0, 8)
    assert mail.form and mail.link("/x") == "https://backups.example.com/x"
    assert "'p'" not in repr(mail)


def test_weekly_summary_of_a_week_with_a_missed_and_a_failed_backup_and_a_restore(
        smtp, manual_clock: ManualClock) -> None:  # noqa: F811
    """Seven days recorded by hand: daily backups at 02:00 UTC, Tuesday's missed, Thursday's failed, a restore
    on Friday that took 12 minutes."""
    from datetime import UTC, datetime

    from lib.db.schema import operations
    from lib.portal.models import BackupFile, Period, Schedule, StorageType
    from lib.settings.config import AppConfig, PortalConfig
    from lib.watching import endpoint_state
    from lib.watching.outbox import Outbox
    from tests.smtp import mail_settings

    inbox, port = smtp
    monday = datetime(2026, 11, 23, tzinfo=UTC).timestamp()
    now = monday + 7 * 86_400 + 8 * 3600  # the next Monday, 08:00
    manual_clock.advance(now - manual_clock())
    store = HistoryStore("sqlite://", clock=manual_clock)
    days = {0: "completed", 1: None, 2: "completed", 3: "failed", 4: "completed", 5: "completed", 6: "completed"}

    def write(conn) -> None:
        for day, outcome in days.items():
            if outcome != "failed":
                continue  # a backup made is known from the portal's list below
            at = monday + day * 86_400 + 2 * 3600
            conn.execute(operations.insert().values(
                id=f"b{day}", portal="p0", kind="backup", scope="any", task_id=f"t{day}", first_seen=at,
                first_percent=0, started=at, ended=at + 300, outcome=outcome, last_percent=100 if day != 3 else 40,
                portal_text="Quota exceeded" if day == 3 else "", last_seen=at + 300))
        at = monday + 4 * 86_400 + 14 * 3600
        conn.execute(operations.insert().values(
            id="r1", portal="p0", kind="restore", scope="any", task_id="r", first_seen=at, first_percent=0, started=at,
            ended=at + 720, outcome="completed", last_percent=100, portal_text="", last_seen=at + 720))

    store.at_once(write)
    from lib.db.schema import portals as portals_table

    store.at_once(lambda conn: conn.execute(portals_table.insert().values(name="p0",
                                                                          backups_known_since=monday - 86_400)))
    schedule = Schedule(Period.EVERY_DAY, 2, None, StorageType(0), 7, None)
    files = [BackupFile(f"f{d}", f"b{d}.tar.gz", StorageType(0),
                        datetime.fromtimestamp(monday + d * 86_400 + 2 * 3600 + 300, UTC), None)
             for d, o in days.items() if o == "completed"]
    store.save_state(endpoint_state.key("p0", "backups", "any"),
                     {"failures": 0, "problem": None, "answer": endpoint_state.backups_state(files, schedule)}, now)
    store.flush()
    cfg = AppConfig((PortalConfig("p0", "https://p0.example.com", "Portal 0", KEY),), history_url="sqlite://",
                    mail=mail_settings(port, digest_to=("boss@example.com",)))
    letter = compose(store, cfg, ["p0"], i18n.ENGLISH, now)
    text = letter.plain_extra
    assert "Backups made: 5; missed: 1; failed: 1." in text, text
    assert "Restore started" in text and "completed after 12 min" in text
    assert "Next scheduled backup: Dec 1, 2026, 02:00." in text
    assert all(symbol in text for symbol in "✓✕!↺")
    assert "✕ failed, ! missed, ↺ restore, ✓ backup" in text and "? not known" not in text  # the ones shown
    assert "Times are in UTC." in letter.paragraphs
    assert "/history?portal=p0" in text
    outbox = Outbox(cfg, store, clock=manual_clock, compose=compose)
    assert outbox.send_digest() == 1
    assert outbox.send_digest() == 0  # once per week per recipient
    (mail,) = inbox.wait(1)
    assert mail["To"] == "boss@example.com" and "Weekly summary" in mail["Subject"]
    html = body(mail, "html")
    assert "<td" in html and "Quota exceeded" in html and "<img" not in html
    store.close()


def test_the_form_and_its_answers_are_said_in_the_readers_language(smtp, manual_clock: ManualClock, tick) -> None:  # noqa: F811
    """In the pseudo-language every word of the form is marked ⟦…⟧: nothing of it is left in English."""
    inbox, port = smtp
    i18n.allow_pseudo(True)
    try:
        with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
            at = form_app(sim, port)
            at.query_params["lang"] = "qps"
            tick(at)
            (field,) = [t for t in at.text_input if t.label.startswith("⟦")]
            (button,) = [b for b in at.button if b.label.startswith("⟦Tell me")]
            field.input("ann@example.com")
            button.click()
            tick(at)
            assert any(s.value.startswith("⟦") and "Check your inbox" in s.value for s in at.success)
            (mail,) = inbox.wait(1)
            assert mail["Subject"].startswith("⟦")  # the email is in the language the page was in
    finally:
        i18n.allow_pseudo(False)


def test_signed_in_one_click_subscribes_the_verified_address_without_an_email(smtp, manual_clock: ManualClock,  # noqa: F811
                                                                              tick) -> None:
    from tests.test_signin_app import gated_app, signed_in

    inbox, port = smtp
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = gated_app(sim, user=signed_in("alice@example.com"), email=email(port),
                       notify={"app_url": "http://127.0.0.1:8501"})
        tick(at)
        assert not [t for t in at.text_input if t.label == "Email"]
        (button,) = [b for b in at.button if b.label.startswith("Tell me")]
        assert button.label == "Tell me when it ends (to alice@example.com)"
        button.click()
        tick(at)
        assert "Done: you will get one email when this restore on Production ends." in texts(at)
        assert not inbox.messages  # no confirmation email
        (row,) = at.session_state[CONTEXT].source.store.at_once(subs.rows)
        assert row["confirmed"] is not None and row["address"] == "alice@example.com"


def test_the_summarys_csv_keeps_the_portals_words_from_running_as_a_formula(manual_clock: ManualClock) -> None:
    from lib.db.schema import operations
    from lib.views.digest import _csv

    store = HistoryStore("sqlite://", clock=manual_clock)
    at = manual_clock() - 3600
    store.at_once(lambda conn: conn.execute(operations.insert().values(
        id="b1", portal="p0", kind="backup", scope="any", task_id="t1", first_seen=at, first_percent=0, started=at,
        ended=at + 60, outcome="failed", last_percent=40, portal_text="=HYPERLINK(\"https://evil.example\")\u202e",
        last_seen=at + 60)))
    lines = _csv(store, ["p0"], manual_clock(), i18n.ENGLISH).decode().splitlines()
    assert lines[0] == "portal,kind,started_utc,ended_utc,outcome,last_percent,portal_text"
    assert lines[1].endswith(',failed,40,"\'=HYPERLINK(""https://evil.example"")"')
    store.close()


def test_the_summary_says_the_restores_of_the_same_seven_days_as_its_row_of_days(manual_clock: ManualClock) -> None:
    from datetime import UTC, datetime

    from lib.db.schema import operations
    from lib.settings.config import AppConfig, PortalConfig
    from tests.factories import KEY

    now = datetime(2026, 11, 30, 8, tzinfo=UTC).timestamp()  # Monday 08:00: the week is Nov 23-29
    manual_clock.advance(now - manual_clock())
    store = HistoryStore("sqlite://", clock=manual_clock)
    for op_id, at in (("today", now - 3600), ("thursday", now - 4 * 86_400), ("long-ago", now - 9 * 86_400)):
        store.at_once(lambda conn, i=op_id, t=at: conn.execute(operations.insert().values(
            id=i, portal="p0", kind="restore", scope="any", task_id=i, first_seen=t, first_percent=0, started=t,
            ended=t + 600, outcome="completed", last_percent=100, portal_text="", last_seen=t + 600)))
    cfg = AppConfig((PortalConfig("p0", "https://p0.example.com", "Portal 0", KEY),), history_url="sqlite://")
    letter = compose(store, cfg, ["p0"], i18n.ENGLISH, now)
    assert "for the 7 days up to Nov 29." in letter.paragraphs[0]
    assert [line.strip() for line in letter.plain_extra.splitlines() if line.startswith("Restore started")] == \
        ["Restore started Nov 26, 2026, 08:00: completed after 10 min."]
    store.close()


def test_an_email_that_could_not_be_sent_is_said_on_the_page(manual_clock: ManualClock, tick) -> None:
    """The restore ends, the mail server is down: the page says so in one sentence, as it does for the webhook."""
    from lib.watching import subscribers
    from tests.servers import free_port, wait_until

    dead = free_port()
    with Simulator("restore", api_key=KEY, clock=manual_clock, speed=10) as sim:
        at = make_app(sim, email=email(dead), notify={"app_url": "http://127.0.0.1:8501"})
        tick(at)
        ctx = at.session_state[CONTEXT]
        asked = subscribers.Asked("prod", "Production", "restore", ("this-operation",), "", "en")
        assert subscribers.subscribe(ctx.source.store, ctx.config.mail, "ann@example.com", asked, manual_clock(),
                                     verified=True).ok
        for _ in range(12):
            tick(at, 10)
        assert "The restore completed." in texts(at)
        said = f"An email could not be sent: The mail server 127.0.0.1:{dead} could not be reached"
        wait_until(lambda: said in texts(tick(at)), "the page says the email was not sent", timeout=20)


def test_a_click_on_the_form_counts_when_a_restore_started_since_the_page_was_drawn(smtp, manual_clock: ManualClock,  # noqa: F811
                                                                                  tick) -> None:
    """The page was drawn while nothing ran ("Tell me when the next one ends"); a restore starts; the click
    still counts, though the button is drawn again with other words."""
    inbox, port = smtp
    with Simulator("idle", api_key=KEY, clock=manual_clock) as sim:
        at = form_app(sim, port)
        tick(at)
        field, button = form_of(at)
        assert button.label == "Tell me when the next one ends"
        sim.set_scenario("restore")
        field.input("ann@example.com")
        button.click()
        tick(at, 120)
        assert [b.label for b in at.button if b.label.startswith("Tell me")] == ["Tell me when it ends"]
        assert "Check your inbox" in texts(at)
        assert len(inbox.wait(1)) == 1


def test_the_summary_of_a_week_the_app_knows_nothing_of_and_a_restore_seen_only_in_part(
        manual_clock: ManualClock) -> None:
    """No backup list read (no admin key): "not known", not "made: 0; missed: 0" (an alarm that is
    not true); a restore whose start and end were not seen is "seen for", never "after seen for"."""
    from datetime import UTC, datetime

    from lib.db.schema import operations
    from lib.settings.config import AppConfig, PortalConfig
    from tests.factories import KEY

    now = datetime(2026, 11, 30, 8, tzinfo=UTC).timestamp()  # Monday 08:00: the week is Nov 23-29
    manual_clock.advance(now - manual_clock())
    store = HistoryStore("sqlite://", clock=manual_clock)
    at = now - 4 * 86_400
    store.at_once(lambda conn: conn.execute(operations.insert().values(
        id="r", portal="p0", kind="restore", scope="any", task_id="r", first_seen=at, first_percent=30, started=None,
        ended=at + 180, outcome="vanished", last_percent=42, portal_text="", last_seen=at + 180)))
    cfg = AppConfig((PortalConfig("p0", "https://p0.example.com", "Portal 0", KEY),), history_url="sqlite://")
    text = compose(store, cfg, ["p0"], i18n.ENGLISH, now).plain_extra
    assert "Backups made, missed and failed: not known for these days." in text and "made: 0" not in text, text
    assert "Restore started Nov 26, 2026, 08:00: ended unseen at 42% (seen for 3 min)." in text, text
    store.close()
