from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from store.vault import AesVault


def test_seal_round_trip_hides_the_payload():
    vault = AesVault(b"secret")
    sealed = vault.seal("app1", [{"access_key": "ABCDEFGHJKMNPQRS"}])
    assert "ABCDEFGHJKMNPQRS" not in sealed
    assert vault.unseal("app1", sealed) == [{"access_key": "ABCDEFGHJKMNPQRS"}]
    assert vault.seal("app1", [1]) != vault.seal("app1", [1])  # fresh nonce each time


def test_wrong_application_or_key_or_tampering_does_not_open():
    sealed = AesVault(b"secret").seal("app1", {"x": 1})
    with pytest.raises(InvalidTag):
        AesVault(b"secret").unseal("app2", sealed)
    with pytest.raises(InvalidTag):
        AesVault(b"other").unseal("app1", sealed)
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises((InvalidTag, ValueError)):
        AesVault(b"secret").unseal("app1", tampered)
