"""The site and Delivery URL rule, the key (signatures, rotation), the payload check: no network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maica_xero_desktop.core.errors import ConfigurationError
from maica_xero_desktop.core.secrets import WEBHOOK_KEY, SecretStore
from maica_xero_desktop.core.webhooks.keys import (
    PREVIOUS_KEY,
    KeyCache,
    KeyGeneration,
    KeySet,
    WebhookKeys,
    normalise_key,
    signature_matches,
)
from maica_xero_desktop.core.webhooks.payload import BadPayload, parse_delivery
from maica_xero_desktop.core.webhooks.site import (
    delivery_url,
    matches_path,
    normalise_site,
    receiver_paths,
)
from tests.support.memkeyring import MemoryKeyring
from tests.webhooks.conftest import KEY, delivery, event, sign


@pytest.mark.parametrize(
    ("given", "site"),
    [
        ("https://Hooks.Example.org", "https://hooks.example.org"),
        ("  https://hooks.example.org/  ", "https://hooks.example.org"),
        ("https://hooks.example.org:443/maica/", "https://hooks.example.org/maica"),
        ("https://hooks.example.org/maica/xero/webhooks", "https://hooks.example.org/maica"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://127.0.0.1:5790/", "http://127.0.0.1:5790"),
        ("http://[::1]:5790", "http://[::1]:5790"),
    ],
)
def test_sites_accepted(given: str, site: str) -> None:
    assert normalise_site(given) == site


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("http://hooks.example.org", "must start with https://"),
        ("ftp://hooks.example.org", "is not a web address"),
        ("hooks.example.org", "is not a web address"),
        ("https://hooks.example.org/?a=1", "must not have a query"),
        ("https://hooks.example.org/#top", "must not have a query"),
        ("https://user:pw@hooks.example.org", "user name or password"),
        ("https://hooks.example.org:8443", "only to port 443"),
        ("https://hooks.example.org/a b", "must not contain spaces"),
        ("https://hooks.example.org/a/../b", "must not contain"),
        ("", "Give the webhook site"),
    ],
)
def test_sites_refused_with_a_sentence(given: str, words: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        normalise_site(given)
    assert words in caught.value.sentence
    assert caught.value.sentence.endswith(".")


def test_delivery_url_and_paths() -> None:
    assert delivery_url("https://hooks.example.org") == "https://hooks.example.org/xero/webhooks"
    assert delivery_url("https://e.org/maica") == "https://e.org/maica/xero/webhooks"
    assert delivery_url("") == ""
    paths = receiver_paths("https://e.org/Maica")
    assert paths == ("/maica/xero/webhooks", "/xero/webhooks", "/")
    for path in ("/maica/xero/webhooks", "/xero/webhooks/", "/", "/xero/webhooks?x=1"):
        assert matches_path(path, paths)
    for path in ("/xero", "/other", "/xero/webhooks/extra", "/maica"):
        assert not matches_path(path, paths)


def test_signatures() -> None:
    body = delivery(event())
    good = sign(body)
    assert signature_matches([KEY], body, good)
    assert not signature_matches([KEY], body + b" ", good)
    assert not signature_matches([KEY], body, good[:-4])
    assert not signature_matches([KEY], body, sign(body, "another-key-of-some-length"))
    assert not signature_matches([KEY], body, None)
    assert not signature_matches([], body, good)
    assert signature_matches(["old-key-0123456789", KEY], body, good)


def test_key_validation() -> None:
    assert normalise_key(f"  {KEY}\n") == KEY
    for bad in ("", "   ", "short", "has a space in the middle of it"):
        with pytest.raises(ConfigurationError):
            normalise_key(bad)


def test_rotation_keeps_the_previous_key_for_the_grace_period(
    memory_keyring: MemoryKeyring,
) -> None:
    now = [1000.0]
    keys = WebhookKeys(SecretStore(None), clock=lambda: now[0])
    keys.save(KEY)
    new = "NEW-" + KEY[4:]
    rotated = keys.save(new, grace_s=600)
    assert rotated.accepted(now[0]) == (new, KEY)
    cache = KeyCache(keys.load, clock=lambda: now[0])
    body = delivery()
    assert cache.verify(body, sign(body, KEY))
    assert cache.verify(body, sign(body, new))
    now[0] += 601
    assert not cache.verify(body, sign(body, KEY))
    assert keys.load().accepted(now[0]) == (new,)
    assert ("maica-xero-desktop", PREVIOUS_KEY) not in memory_keyring.entries  # expired: gone
    keys.save(KEY, grace_s=0)
    assert keys.load().accepted(now[0]) == (KEY,)


def test_key_cache_sees_a_rotation_made_elsewhere(memory_keyring: MemoryKeyring) -> None:
    now = [1000.0]
    keys = WebhookKeys(SecretStore(None), clock=lambda: now[0])
    keys.save(KEY)
    cache = KeyCache(keys.load, clock=lambda: now[0])
    memory_keyring.entries[("maica-xero-desktop", WEBHOOK_KEY)] = "ROTATED-" + KEY
    body = delivery()
    assert not cache.verify(body, sign(body, "ROTATED-" + KEY))  # read at most every 10 s
    now[0] += 11
    assert cache.verify(body, sign(body, "ROTATED-" + KEY))


def test_a_key_removed_elsewhere_stops_working_at_once(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    path = tmp_path / "data" / "webhook-key.generation"
    here = WebhookKeys(SecretStore(None), generation=KeyGeneration(path))
    here.save(KEY)
    cache = KeyCache(here.load, generation=here.generation)
    elsewhere = WebhookKeys(SecretStore(None), generation=KeyGeneration(path))  # another process
    body = delivery()
    assert cache.verify(body, sign(body, KEY))
    elsewhere.forget()
    assert not cache.verify(body, sign(body, KEY))  # no 10 s (or 30 s) of grace
    elsewhere.save(KEY)
    assert cache.verify(body, sign(body, KEY))
    new = "NEW-" + KEY[4:]
    elsewhere.save(new, grace_s=0)  # rotation with no grace period
    assert not cache.verify(body, sign(body, KEY))
    assert cache.verify(body, sign(body, new))
    assert KEY not in path.read_text()
    assert new not in path.read_text()


def test_generation_checks_are_a_file_read_not_a_keyring_read(tmp_path: Path) -> None:
    loads: list[int] = []

    def load() -> KeySet:
        loads.append(1)
        if len(loads) > 2:
            raise RuntimeError("keyring locked")
        return KeySet(KEY)

    generation = KeyGeneration(tmp_path / "gen")
    now = [1000.0]
    cache = KeyCache(load, clock=lambda: now[0], generation=generation)
    body = delivery()
    for _ in range(50):
        assert cache.verify(body, sign(body, KEY))
    assert len(loads) == 1
    generation.bump()
    assert cache.verify(body, sign(body, KEY))
    assert len(loads) == 2
    generation.bump()
    assert not cache.verify(body, sign(body, KEY))  # changed, unreadable: nothing accepted
    now[0] += 0.5
    assert not cache.verify(body, sign(body, KEY))
    assert len(loads) == 3  # tried again at most once a second


def test_payload_shapes() -> None:
    itr = parse_delivery(delivery())
    assert itr.is_intent_to_receive
    one = parse_delivery(delivery(event(category="invoice")))
    assert one.events[0].category == "INVOICE"
    bad_bodies = [
        b"not json",
        b"[]",
        b"{}",
        b'{"events": {}}',
        b"\xff\xfe",
        b"[" * 100_000,
        json.dumps({"events": [{}] * 1001}).encode(),
    ]
    for body in bad_bodies:
        with pytest.raises(BadPayload):
            parse_delivery(body)
    odd = [
        json.dumps({"events": [{"resourceId": "x"}]}).encode(),
        json.dumps({"events": [{**event(), "tenantId": "a\nb"}, event()]}).encode(),
    ]
    for body in odd:
        parsed = parse_delivery(body)
        assert parsed.skipped
        assert not parsed.is_intent_to_receive
    assert len(parse_delivery(odd[1]).events) == 1
    lenient = parse_delivery(json.dumps({"events": [], "firstEventSequence": "1"}).encode())
    assert lenient.is_intent_to_receive


def test_a_generation_file_that_cannot_be_written_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    KeyGeneration(blocker / "webhook-key.generation").bump()  # no exception: the key is saved
    assert "could not be told that the key changed" in caplog.text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
