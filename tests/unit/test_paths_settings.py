from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from maica_xero_desktop.core.paths import app_paths
from maica_xero_desktop.core.settings import DEFAULT_SCOPES, Settings, SettingsStore


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_home_override_creates_private_folders(home: Path) -> None:
    paths = app_paths()
    assert _mode(home) == 0o700
    for folder in (paths.config_dir, paths.data_dir, paths.log_dir, paths.cache_dir):
        assert folder.is_dir()
        assert str(folder).startswith(str(home))
        assert _mode(folder) == 0o700


def test_platformdirs_default_without_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    paths = app_paths()
    assert paths.config_dir == tmp_path / "xdg-config" / "maica-xero-desktop"
    assert paths.data_dir == tmp_path / "xdg-data" / "maica-xero-desktop"


def test_defaults_when_no_file(home: Path) -> None:
    settings = SettingsStore(app_paths()).load()
    assert settings == Settings()
    assert settings.enabled is False
    assert tuple(settings.scopes) == DEFAULT_SCOPES
    assert "accounting.transactions" not in settings.scopes  # granular scopes by default


def test_saved_values_merge_over_defaults_and_unknown_keys_survive(home: Path) -> None:
    paths = app_paths()
    paths.settings_file.write_text(
        json.dumps({"enabled": True, "client_id": "ABC12345", "from_the_future": {"x": 1}})
    )
    store = SettingsStore(paths)
    settings = store.load()
    assert settings.enabled is True
    assert settings.client_id == "ABC12345"
    assert settings.redirect_ports == [5717, 5718, 5719, 5720, 5721]
    store.update(lambda s: setattr(s, "schedule_minutes", 30))
    saved = json.loads(paths.settings_file.read_text())
    assert saved["from_the_future"] == {"x": 1}
    assert saved["schedule_minutes"] == 30
    assert _mode(paths.settings_file) == 0o600


def test_wrong_types_fall_back_per_key_with_warning(home: Path) -> None:
    paths = app_paths()
    paths.settings_file.write_text(
        json.dumps({"enabled": "yes", "redirect_ports": [5717, "x"], "client_id": "GOOD1234"})
    )
    store = SettingsStore(paths)
    settings = store.load()
    assert settings.enabled is False
    assert settings.redirect_ports == [5717, 5718, 5719, 5720, 5721]
    assert settings.client_id == "GOOD1234"
    assert any("'enabled'" in w for w in store.warnings)
    assert any("'redirect_ports'" in w for w in store.warnings)


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2]"])
def test_corrupt_file_is_kept_aside_and_reported(home: Path, content: bytes) -> None:
    paths = app_paths()
    paths.settings_file.write_bytes(content)
    store = SettingsStore(paths)
    settings = store.load()
    assert settings == Settings()
    assert store.warnings
    if content != b"[1, 2]":
        kept = list(paths.config_dir.glob("settings.json.corrupt-*"))
        assert len(kept) == 1
        assert kept[0].read_bytes() == content
        assert "kept as settings.json.corrupt-" in store.warnings[0]


def test_concurrent_updates_lose_nothing(home: Path) -> None:
    paths = app_paths()

    def bump(index: int) -> None:
        store = SettingsStore(paths)
        for _ in range(10):
            store.update(
                lambda s: s.extra.__setitem__(f"k{index}", s.extra.get(f"k{index}", 0) + 1)
            )

    threads = [threading.Thread(target=bump, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    saved = json.loads(paths.settings_file.read_text())
    assert [saved[f"k{i}"] for i in range(4)] == [10, 10, 10, 10]
    leftovers = [p for p in paths.config_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_failed_write_keeps_old_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from maica_xero_desktop.core import jsonfile
    from maica_xero_desktop.core.errors import SettingsError

    paths = app_paths()
    store = SettingsStore(paths)
    store.update(lambda s: setattr(s, "client_id", "BEFORE123"))

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jsonfile, "_fsync_dir", full_disk)
    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(SettingsError, match="the disk is full: free some space"):
        store.update(lambda s: setattr(s, "client_id", "AFTER1234"))
    monkeypatch.undo()
    assert SettingsStore(paths).load().client_id == "BEFORE123"
    assert [p for p in paths.config_dir.iterdir() if p.name.endswith(".tmp")] == []
    assert os.access(paths.settings_file, os.R_OK)


def test_a_warning_is_reported_once_however_often_the_settings_are_read(home: Path) -> None:
    paths = app_paths()
    paths.settings_file.write_text(json.dumps({"schedule_minutes": "often"}), encoding="utf-8")
    store = SettingsStore(paths)
    for _ in range(18):  # one Run Now reads the settings many times
        store.load()
    assert store.warnings == [
        "The saved setting 'schedule_minutes' had an invalid value; its default is used."
    ]


@pytest.mark.parametrize(
    ("saved", "field", "reason"),
    [
        ({"redirect_ports": [99999]}, "redirect_ports", "'99999' is not a usable port"),
        ({"redirect_ports": []}, "redirect_ports", "Give at least one redirect port"),
        ({"redirect_host": "example.org"}, "redirect_host", "The redirect host is either"),
        ({"scopes": ["openid"]}, "scopes", "The scopes must include offline_access"),
        ({"client_id": "no spaces allowed"}, "client_id", "That does not look like a Xero"),
        ({"schedule_minutes": -5}, "schedule_minutes", "The schedule (minutes) is a whole"),
        ({"default_account_code": ""}, "default_account_code", "An account code is a Xero code"),
    ],
)
def test_hand_edited_values_are_checked_like_config_set(
    home: Path, saved: dict[str, object], field: str, reason: str
) -> None:
    paths = app_paths()
    paths.settings_file.write_text(json.dumps(saved), encoding="utf-8")
    store = SettingsStore(paths)
    settings = store.load()
    assert getattr(settings, field) == getattr(Settings(), field)
    (warning,) = store.warnings
    assert warning.startswith(f"The saved setting '{field}' had an invalid value ({reason}")


def test_hand_edited_valid_values_are_normalised_as_config_set_does(home: Path) -> None:
    paths = app_paths()
    saved = {"redirect_host": "LOCALHOST", "redirect_ports": [5800, 5800], "client_id": ""}
    paths.settings_file.write_text(json.dumps(saved), encoding="utf-8")
    store = SettingsStore(paths)
    settings = store.load()
    assert (settings.redirect_host, settings.redirect_ports) == ("localhost", [5800])
    assert store.warnings == []


def test_settings_nested_too_deeply_are_kept_aside(home: Path) -> None:
    paths = app_paths()
    paths.settings_file.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    store = SettingsStore(paths)
    assert store.load() == Settings()
    assert store.warnings[0].startswith("The settings file was damaged and could not be read")


def test_a_hand_edited_flow_that_is_not_installed_is_noted_once_and_kept(home: Path) -> None:
    from maica_xero_desktop import cli_wording
    from maica_xero_desktop.core.errors import Remedy

    paths = app_paths()
    paths.settings_file.write_text(json.dumps({"flow": "nope"}), encoding="utf-8")
    store = SettingsStore(paths)
    for _ in range(3):
        settings = store.load()
    # Kept (another flow would send differently); the runs refuse it until it is changed.
    assert settings.flow == "nope"
    (warning,) = store.warnings
    assert warning.startswith(
        "The saved setting 'flow' cannot be used: there is no sync flow called 'nope' "
        "(the flows are authorised, draft, classic), so nothing is synced until it is changed."
    )
    assert getattr(warning, "remedy", None) is Remedy.CHOOSE_FLOW
    assert cli_wording.say(warning).endswith(
        "Choose one: maica-xero config set flow NAME (maica-xero flows describes them)."
    )


def test_the_list_of_settings_names_flow() -> None:
    from maica_xero_desktop.core.config_keys import lookup
    from maica_xero_desktop.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as caught:
        lookup("nope")
    assert "flow, " in caught.value.sentence
    assert lookup("flow").parse(" draft ") == "draft"
