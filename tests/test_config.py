"""Configuration: file + environment, clear errors with the key named, secrets masked."""

from __future__ import annotations

import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from newsbot.config import load_settings, masked_dump
from newsbot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_configs_are_valid() -> None:
    for name in ("newsbot.toml", "demo.toml"):
        settings = load_settings(ROOT / "config" / name, environ={})
        assert settings.delivery.default_time == time(8, 0)


def test_environment_overrides_any_leaf(tmp_path: Path) -> None:
    path = write(tmp_path, "[polling]\ninterval_seconds = 300\n")
    env = {
        "NEWSBOT_POLLING_INTERVAL_SECONDS": "60",
        "NEWSBOT_DATABASE_URL": "postgresql://u@h/db",
        "NEWSBOT_TELEGRAM_ADMINS": '["42"]',
    }
    settings = load_settings(path, environ=env)
    assert settings.polling.interval_seconds == 60
    assert settings.storage.database_url == "postgresql://u@h/db"
    assert settings.telegram.admins == ["42"]


def test_bad_value_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[delivery]\ndefault_time = '25:99'\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert info.value.key == "delivery.default_time"


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "[polling]\nintervall = 3\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert info.value.key == "polling.intervall"


def test_secret_in_file_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "[telegram]\ntoken = '123:abc'\n")
    with pytest.raises(ConfigError, match="NEWSBOT_TELEGRAM_TOKEN"):
        load_settings(path, environ={})


def test_secrets_are_masked(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    settings = load_settings(path, environ={"NEWSBOT_TELEGRAM_TOKEN": "123:secret"})
    assert settings.telegram.token is not None
    assert settings.telegram.token.get_secret_value() == "123:secret"
    assert masked_dump(settings)["telegram"]["token"] == "********"
    assert "123:secret" not in repr(settings)


def test_cli_exit_status_2_on_bad_config(tmp_path: Path) -> None:
    path = write(tmp_path, "[polling]\njitter = 7\n")
    result = subprocess.run(
        [sys.executable, "-m", "newsbot", "--config", str(path), "config", "check"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NEWSBOT_TELEGRAM_TOKEN": "123:secret"},
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "polling.jitter" in result.stderr
    assert result.stderr.count("\n") == 1


def test_cli_config_check_masks_secret(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    result = subprocess.run(
        [sys.executable, "-m", "newsbot", "--config", str(path), "config", "check"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NEWSBOT_TELEGRAM_TOKEN": "123:secret"},
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "********" in result.stdout
    assert "123:secret" not in result.stdout
