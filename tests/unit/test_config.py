"""Settings read from the environment: relay TLS and the base of links in mails."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config


def test_links_follow_the_http_port_and_host_when_no_public_url_is_set():
    # Before: the links said http://127.0.0.1:3000 whatever WEBNACCS_HTTP_PORT was.
    assert Config.from_env({"WEBNACCS_HTTP_PORT": "8080"}).public_url == "http://127.0.0.1:8080"
    assert Config.from_env({"WEBNACCS_HTTP_HOST": "bot.example.co.jp", "WEBNACCS_HTTP_PORT": "８０８１"}
                           ).public_url == "http://bot.example.co.jp:8081"
    assert Config.from_env({}).public_url == "http://127.0.0.1:3000"


def test_a_wildcard_or_ipv6_listen_address_still_gives_a_link_one_can_open():
    assert Config.from_env({"WEBNACCS_HTTP_HOST": "0.0.0.0", "WEBNACCS_HTTP_PORT": "8080"}
                           ).public_url == "http://127.0.0.1:8080"
    assert Config.from_env({"WEBNACCS_HTTP_HOST": "::"}).public_url == "http://[::1]:3000"
    assert Config.from_env({"WEBNACCS_HTTP_HOST": "fd00::5", "WEBNACCS_HTTP_PORT": "80"}
                           ).public_url == "http://[fd00::5]:80"


def test_the_public_url_wins_over_the_http_port():
    config = Config.from_env({"WEBNACCS_HTTP_PORT": "8080", "WEBNACCS_PUBLIC_URL": "https://bot.example.co.jp/"})
    assert config.public_url == "https://bot.example.co.jp"


def test_relay_tls_unset_means_starttls_whenever_offered():
    config = Config.from_env({})
    assert (config.smtp_tls, config.smtp_ca_file, config.smtp_starttls) == (None, None, False)


@pytest.mark.parametrize(("value", "mode"), [("starttls", "starttls"), ("TLS", "tls"), (" none ", "none"),
                                             ("ＳＴＡＲＴＴＬＳ", "starttls")])
def test_relay_tls_modes(value, mode):
    config = Config.from_env({"WEBNACCS_SMTP_TLS": value, "WEBNACCS_SMTP_CA_FILE": "/etc/relay-ca.pem"})
    assert config.smtp_tls == mode and config.smtp_ca_file == Path("/etc/relay-ca.pem")
    assert config.smtp_starttls is (mode == "starttls")


@pytest.mark.parametrize("value", ["true", "1", "YES", "on", "ｔｒｕｅ"])
def test_the_older_starttls_setting_means_starttls_required(value):
    config = Config.from_env({"WEBNACCS_SMTP_STARTTLS": value})
    assert config.smtp_tls == "starttls" and config.smtp_starttls is True
    assert Config.from_env({"WEBNACCS_SMTP_STARTTLS": value, "WEBNACCS_SMTP_TLS": "starttls"}).smtp_tls == "starttls"


def test_starttls_false_leaves_the_mode_to_webnaccs_smtp_tls():
    assert Config.from_env({"WEBNACCS_SMTP_STARTTLS": "false"}).smtp_tls is None
    assert Config.from_env({"WEBNACCS_SMTP_STARTTLS": "0", "WEBNACCS_SMTP_TLS": "tls"}).smtp_tls == "tls"


@pytest.mark.parametrize(("env", "names"), [
    ({"WEBNACCS_SMTP_TLS": "ssl"}, ["WEBNACCS_SMTP_TLS", "'ssl'"]),
    ({"WEBNACCS_SMTP_TLS": "yes"}, ["WEBNACCS_SMTP_TLS", "starttls, tls or none"]),
    ({"WEBNACCS_SMTP_STARTTLS": "maybe"}, ["WEBNACCS_SMTP_STARTTLS", "'maybe'"]),
    ({"WEBNACCS_SMTP_STARTTLS": "true", "WEBNACCS_SMTP_TLS": "none"}, ["WEBNACCS_SMTP_STARTTLS", "WEBNACCS_SMTP_TLS"]),
    ({"WEBNACCS_SMTP_STARTTLS": "true", "WEBNACCS_SMTP_TLS": "tls"}, ["contradicts"]),
])
def test_an_unknown_or_contradicting_relay_tls_setting_is_a_clear_error(env, names):
    with pytest.raises(ValueError) as error:
        Config.from_env(env)
    assert all(name in str(error.value) for name in names)
