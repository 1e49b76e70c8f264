"""Settings read from the environment: the base of links in mails."""

from __future__ import annotations

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
