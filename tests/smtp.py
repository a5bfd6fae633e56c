"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives, for the email tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from lib.settings.mail import MailSettings, Smtp
from tests.servers import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.got = threading.Condition()
        self.refused: set[str] = set()  # addresses the server answers 550 for

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802 - aiosmtpd's hook
        if address in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.got:
            self.messages.append(msg)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.got.notify_all()
        return "250 OK"

    def wait(self, n: int, timeout: float = 10.0) -> list[EmailMessage]:
        with self.got:
            self.got.wait_for(lambda: len(self.messages) >= n, timeout)
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def mail_settings(port: int, **changes) -> MailSettings:
    values = dict(smtp=Smtp("127.0.0.1", port, "monitor@example.com", "none"), app_url="http://127.0.0.1:8501",
                  secret="s" * 32)
    return MailSettings(**(values | changes))


def body(msg: EmailMessage, subtype: str = "plain") -> str:
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None
    return part.get_content()


def link(msg: EmailMessage, path: str) -> str:
    import re

    found = re.search(r"(http://127\.0\.0\.1:8501" + path + r"\?t=[A-Za-z0-9._=-]+)", body(msg))
    assert found, body(msg)
    return found.group(1)
