"""The app's own mail to people: one message built (plain text + simple HTML, no remote images, the portal's
words escaped) and sent through the ``[email]`` SMTP server with :mod:`smtplib`.

Every message to a subscriber carries ``List-Unsubscribe`` and ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click`` (RFC 8058), so a mail program can offer "Unsubscribe" and stop it in one
click. An address reaches a header only after :func:`lib.watching.subscribers.valid_address` (no CR/LF);
the policy here refuses a header with a line break anyway. The SMTP password is never logged: a failure
is said by its kind and the server's code, not by the exception's text.
"""

from __future__ import annotations

import html
import logging
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid

from lib.i18n import M_, Msg
from lib.settings.mail import Smtp

#: seconds the SMTP server has to answer
TIMEOUT = 20.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Letter:
    """One email: ``paragraphs`` are plain sentences (escaped for HTML here); ``html_extra`` is our own
    markup (the digest's table), already escaped; ``links`` are (words, address) buttons."""

    to: str
    subject: str
    paragraphs: tuple[str, ...]
    links: tuple[tuple[str, str], ...] = ()
    unsubscribe: str | None = None  # the one-click address, for a subscriber
    footer: str = ""
    html_extra: str = ""
    plain_extra: str = ""
    attachment: tuple[str, str, bytes] | None = None  # (file name, MIME type, content)


class MailError(Exception):
    """Sending failed: ``said`` is one sentence without the password or the server's own words."""

    def __init__(self, said: Msg):
        super().__init__(str(said))
        self.said = said


def build(letter: Letter, sender: str) -> EmailMessage:
    for value in (letter.to, letter.subject, sender, letter.unsubscribe or ""):
        if "\r" in value or "\n" in value:
            raise MailError(M_("The email was not sent: an address or subject held a line break."))
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = sender
    msg["To"] = letter.to
    msg["Subject"] = letter.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"
    if letter.unsubscribe:
        msg["List-Unsubscribe"] = f"<{letter.unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(plain(letter))
    msg.add_alternative(rich(letter), subtype="html")
    if letter.attachment is not None:
        name, mime, data = letter.attachment
        main, _, sub = mime.partition("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg


def plain(letter: Letter) -> str:
    parts = list(letter.paragraphs)
    if letter.plain_extra:
        parts.append(letter.plain_extra)
    parts += [f"{words}: {url}" for words, url in letter.links]
    if letter.footer:
        parts.append("-- \n" + letter.footer)
    return "\n\n".join(parts) + "\n"


def rich(letter: Letter) -> str:
    """Simple HTML that reads well in Outlook and Gmail: one column, inline styles, no images, no scripts."""
    esc = html.escape
    body = "".join(f'<p style="margin:0 0 12px 0">{esc(p)}</p>' for p in letter.paragraphs)
    body += letter.html_extra
    body += "".join(f'<p style="margin:16px 0"><a href="{esc(url, quote=True)}" style="background:#1f6feb;'
                    f'color:#ffffff;padding:8px 14px;border-radius:4px;text-decoration:none">{esc(words)}</a></p>'
                    for words, url in letter.links)
    footer = (f'<p style="margin:24px 0 0 0;color:#57606a;font-size:12px">{esc(letter.footer)}</p>'
              if letter.footer else "")
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" '
            'content="width=device-width"></head><body style="margin:0;padding:16px;font-family:Segoe UI,Arial,'
            'sans-serif;font-size:15px;line-height:1.45;color:#1f2328;background:#ffffff">'
            f'<div style="max-width:640px">{body}{footer}</div></body></html>')


def send(smtp: Smtp, msg: EmailMessage) -> None:
    """Hand it to the server; raises :class:`MailError` (no password, no server text in it)."""
    try:
        if smtp.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=TIMEOUT,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            client.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(M_("The mail server refused the user name or password ({code}).", code=exc.smtp_code)) from None
    except smtplib.SMTPNotSupportedError:
        raise MailError(M_("The mail server does not offer what [email] security asks for (STARTTLS or login).")) \
            from None
    except smtplib.SMTPRecipientsRefused:
        raise MailError(M_("The mail server refused the recipient's address.")) from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(M_("The mail server answered with an error ({code}).", code=exc.smtp_code)) from None
    except ssl.SSLError:
        raise MailError(M_("The mail server's secure connection (TLS) could not be set up.")) from None
    except smtplib.SMTPServerDisconnected:
        raise MailError(M_("The mail server closed the connection.")) from None
    except smtplib.SMTPException:
        raise MailError(M_("The mail server answered in a way this app does not expect.")) from None
    except OSError as exc:
        raise MailError(_unreachable(smtp, exc)) from None


def _unreachable(smtp: Smtp, exc: OSError) -> Msg:
    """In plain words, as the portal's own "not answering" reasons are (never the exception's name)."""
    where = {"host": smtp.host, "port": str(smtp.port)}  # a port, not a number: no "33,489"
    if isinstance(exc, socket.gaierror):
        return M_("The mail server {host}:{port} could not be reached: its address was not found.", **where)
    if isinstance(exc, ConnectionRefusedError):
        return M_("The mail server {host}:{port} could not be reached: it refused the connection.", **where)
    if isinstance(exc, TimeoutError):
        return M_("The mail server {host}:{port} could not be reached: it did not answer in time.", **where)
    return M_("The mail server {host}:{port} could not be reached.", **where)


#: how a letter leaves (tests may pass another)
Send = Callable[[Smtp, EmailMessage], None]
