"""The relay connection: STARTTLS, implicit TLS and plain, against a real aiosmtpd relay on loopback.

The relay's certificate is made here (a test CA and a certificate for 127.0.0.1 it signs); each
test checks from the relay's side whether the login and the mail came over TLS.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bot.config import Config
from handlers.email.outbound import MailSender
from handlers.outbox import Retry
from tests.email.mailer import Sink
from tests.email.test_compose import COMPOSER, app, question, reply_message
from tests.fakes import clock_at

USER, PASSWORD = "webnaccs-relay", "relay-password-1"
SENDER = "webnaccs@bot.example.jp"


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    server: ssl.SSLContext


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def make_pki(folder: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1")) -> Pki:
    """A CA, and a certificate for the relay (at 127.0.0.1 / localhost) signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder().subject_name(_name("webnaccs test CA")).issuer_name(_name("webnaccs test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False),
                         critical=True)
          .add_extension(ca_ski, critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(_name("relay.test")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "relay.pem").write_bytes(leaf.public_bytes(pem))
    (folder / "relay.key").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "relay.pem", folder / "relay.key")
    return Pki(folder / "ca.pem", server)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def over_tls(server: SMTP) -> bool:
    """Whether the relay's side of the connection is encrypted right now."""
    assert server.transport is not None
    return server.transport.get_extra_info("ssl_object") is not None


@dataclass
class TlsSink(Sink):
    """The relay's handler: keeps each mail, whether it came over TLS, and every login."""

    tls: list[bool] = field(default_factory=list)
    starttls_sessions: list[bool] = field(default_factory=list)
    logins: list[tuple[str, str, bool]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.tls.append(over_tls(server))
        self.starttls_sessions.append(session.ssl is not None)
        return await super().handle_DATA(server, session, envelope)

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                     auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password, over_tls(server)))
        return AuthResult(success=(login, password) == (USER, PASSWORD))


@pytest.fixture
async def relay(pki: Pki) -> AsyncIterator[Callable[..., Any]]:
    servers: list[asyncio.base_events.Server] = []

    async def start(*, starttls: bool = False, implicit: bool = False, auth_require_tls: bool = True,
                    require_starttls: bool | None = None,
                    context: ssl.SSLContext | None = None) -> tuple[str, TlsSink]:
        """A relay offering STARTTLS (and requiring it unless told), or speaking TLS from the start,
        or neither."""
        sink, loop = TlsSink(), asyncio.get_running_loop()

        required = starttls if require_starttls is None else require_starttls

        def factory() -> SMTP:
            return SMTP(sink, hostname="relay.test", loop=loop, authenticator=sink.authenticate,
                        tls_context=(context or pki.server) if starttls else None, require_starttls=required,
                        auth_require_tls=auth_require_tls)

        server = await loop.create_server(factory, "127.0.0.1", 0,
                                          ssl=(context or pki.server) if implicit else None)
        servers.append(server)
        return f"127.0.0.1:{server.sockets[0].getsockname()[1]}", sink

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def sender(relay: str, tmp_path: Path, **options: Any) -> MailSender:
    return MailSender(COMPOSER, load=lambda app_id: app(), clock=clock_at(), envelope_sender=SENDER,
                      relay=relay, mail_dir=tmp_path / "mail", timeout=10, **options)


MESSAGE = reply_message(question())


async def test_starttls_is_used_whenever_the_relay_offers_it_and_the_login_goes_inside_it(relay, pki, tmp_path):
    # Before: with WEBNACCS_SMTP_STARTTLS unset the sender passed start_tls=False, and to this relay
    # (it offers STARTTLS but also takes a login in clear) the password and the mail went in clear.
    address, sink = await relay(starttls=True, require_starttls=False, auth_require_tls=False)
    await sender(address, tmp_path, username=USER, password=PASSWORD, ca_file=pki.ca_file).send(MESSAGE)
    assert sink.logins == [(USER, PASSWORD, True)]
    assert sink.tls == sink.starttls_sessions == [True]
    [mail] = sink.mails()
    assert mail["Message-ID"] == "<wn.a1b2c3d4e5f60718.reply-3@bot.example.jp>"


async def test_the_default_and_the_channel_today_are_the_same_opportunistic_starttls(relay, pki, tmp_path):
    """What the email channel passes today (``starttls=config.smtp_starttls``, False when unset)."""
    address, sink = await relay(starttls=True)
    config = Config.from_env({"WEBNACCS_SMTP_RELAY": address})
    assert config.smtp_tls is None and config.smtp_starttls is False
    await sender(address, tmp_path, starttls=config.smtp_starttls, ca_file=pki.ca_file).send(MESSAGE)
    assert sink.tls == [True]


async def test_an_untrusted_certificate_is_refused_and_the_mail_kept(relay, tmp_path, caplog):
    address, sink = await relay(starttls=True)
    with pytest.raises(Retry, match="certificate not trusted"):
        await sender(address, tmp_path, username=USER, password=PASSWORD).send(MESSAGE)
    assert sink.received == [] and sink.logins == []
    assert any(r.levelno == logging.ERROR and "WEBNACCS_SMTP_CA_FILE" in r.getMessage() for r in caplog.records)


async def test_a_certificate_for_another_host_is_refused(relay, tmp_path):
    """The CA is trusted, but its certificate names another host than the relay's address."""
    other = make_pki(tmp_path, names=("relay.example.jp",))
    address, sink = await relay(starttls=True, context=other.server)
    with pytest.raises(Retry, match="certificate not trusted"):
        await sender(address, tmp_path, ca_file=other.ca_file).send(MESSAGE)
    assert sink.received == []


async def test_starttls_required_refuses_a_relay_that_does_not_offer_it(relay, pki, tmp_path, caplog):
    address, sink = await relay(auth_require_tls=False)
    config = Config.from_env({"WEBNACCS_SMTP_RELAY": address, "WEBNACCS_SMTP_TLS": "starttls"})
    with pytest.raises(Retry, match="does not offer STARTTLS"):
        await sender(address, tmp_path, tls=config.smtp_tls, username=USER, password=PASSWORD,
                     ca_file=pki.ca_file).send(MESSAGE)
    assert sink.received == [] and sink.logins == []
    assert any(r.levelno == logging.ERROR and "WEBNACCS_SMTP_TLS=starttls" in r.getMessage()
               for r in caplog.records)


async def test_the_old_starttls_setting_still_means_starttls_required(relay, pki, tmp_path):
    config = Config.from_env({"WEBNACCS_SMTP_STARTTLS": "true"})
    assert config.smtp_tls == "starttls" and config.smtp_starttls is True
    plain, plain_sink = await relay(auth_require_tls=False)
    with pytest.raises(Retry, match="does not offer STARTTLS"):
        await sender(plain, tmp_path, starttls=config.smtp_starttls).send(MESSAGE)
    assert plain_sink.received == []
    secure, secure_sink = await relay(starttls=True)
    await sender(secure, tmp_path, starttls=config.smtp_starttls, tls=config.smtp_tls,
                 ca_file=pki.ca_file).send(MESSAGE)
    assert secure_sink.tls == [True]


async def test_implicit_tls_carries_the_login_and_the_mail(relay, pki, tmp_path):
    address, sink = await relay(implicit=True, auth_require_tls=False)  # aiosmtpd counts only STARTTLS as TLS
    config = Config.from_env({"WEBNACCS_SMTP_TLS": "ＴＬＳ", "WEBNACCS_SMTP_CA_FILE": str(pki.ca_file)})
    await sender(address, tmp_path, tls=config.smtp_tls, ca_file=config.smtp_ca_file,
                 username=USER, password=PASSWORD).send(MESSAGE)
    assert sink.logins == [(USER, PASSWORD, True)] and sink.tls == [True]


async def test_implicit_tls_refuses_an_untrusted_certificate(relay, tmp_path, caplog):
    address, sink = await relay(implicit=True, auth_require_tls=False)
    with pytest.raises(Retry, match="certificate not trusted"):
        await sender(address, tmp_path, tls="tls", username=USER, password=PASSWORD).send(MESSAGE)
    assert sink.received == [] and sink.logins == []


async def test_implicit_tls_against_a_plain_relay_is_a_retry(relay, pki, tmp_path):
    address, sink = await relay(auth_require_tls=False)
    with pytest.raises(Retry, match="relay unreachable"):
        await sender(address, tmp_path, tls="tls", ca_file=pki.ca_file).send(MESSAGE)
    assert sink.received == []


async def test_no_tls_sends_plain_and_warns_once_at_start(relay, tmp_path, caplog):
    address, sink = await relay(auth_require_tls=False)
    caplog.set_level(logging.WARNING, logger="webnaccs.email")
    mail = sender(address, tmp_path, tls="none", username=USER, password=PASSWORD)
    await mail.send(MESSAGE)
    await mail.send(reply_message(question(), id="reply-4"))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "in clear" in r.getMessage()]
    assert len(warnings) == 1 and "WEBNACCS_SMTP_TLS=none" in warnings[0].getMessage()
    assert sink.tls == [False, False] and len(sink.received) == 2
    assert sink.logins == [(USER, PASSWORD, False)]  # one login: the second mail went on the same connection


async def test_no_tls_stays_plain_even_when_the_relay_offers_starttls(relay, tmp_path, caplog):
    address, sink = await relay(starttls=True, require_starttls=False, auth_require_tls=False)
    await sender(address, tmp_path, tls="none").send(MESSAGE)
    assert sink.tls == [False]
    assert not [r for r in caplog.records if "in clear" in r.getMessage()]  # no login: nothing to warn about


async def test_without_starttls_on_offer_a_mail_goes_plain_but_a_login_never_does(relay, tmp_path, caplog):
    address, sink = await relay(auth_require_tls=False)
    await sender(address, tmp_path).send(MESSAGE)  # opportunistic: nothing offered, no secret to keep
    assert sink.tls == [False]
    with pytest.raises(Retry, match="login would go in clear"):
        await sender(address, tmp_path, username=USER, password=PASSWORD).send(MESSAGE)
    assert sink.logins == [] and len(sink.received) == 1
    assert any(r.levelno == logging.ERROR and "WEBNACCS_SMTP_TLS=none" in r.getMessage() for r in caplog.records)


def test_a_ca_file_that_cannot_be_read_is_a_clear_error_at_start(tmp_path):
    with pytest.raises(ValueError, match="WEBNACCS_SMTP_CA_FILE"):
        sender("127.0.0.1:25", tmp_path, ca_file=tmp_path / "missing.pem")
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(ValueError, match="WEBNACCS_SMTP_CA_FILE"):
        sender("127.0.0.1:25", tmp_path, ca_file=tmp_path / "junk.pem")


def test_contradicting_or_unknown_modes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="WEBNACCS_SMTP_TLS"):
        sender("127.0.0.1:25", tmp_path, tls="ssl")
    with pytest.raises(ValueError, match="contradicts"):
        sender("127.0.0.1:25", tmp_path, tls="none", starttls=True)
