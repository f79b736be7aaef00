"""Operator mistakes at start-up: each is one line naming the key or the URL (password masked)
and exit status 2, never a traceback; `config check` catches what `run` would trip over."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import POSTGRES_URL

PASSWORD = "s3cret-Pw-77"


def newsbot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    clean.update(PYTHONIOENCODING="utf-8", NEWSBOT_HTTP_PORT="0", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "newsbot", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=clean,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def one_line_exit_2(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line, no traceback
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_config_naming_a_folder(tmp_path: Path) -> None:
    one_line_exit_2(newsbot("--config", str(tmp_path), "sources"), str(tmp_path), "folder")


def test_config_with_non_utf8_bytes(tmp_path: Path) -> None:
    config = tmp_path / "gbk.toml"
    config.write_bytes('[delivery]\ndefault_time = "08:00" # 早上\n'.encode("gbk"))
    one_line_exit_2(newsbot("--config", str(config), "config", "check"), "not UTF-8", "gbk.toml")


def test_sqlite_path_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = write(tmp_path / "a-file", "")
    config = write(tmp_path / "c.toml", f'[storage]\ndatabase_url = "sqlite:///{blocker}/x/n.db"\n')
    one_line_exit_2(newsbot("--config", str(config), "sources"), "storage.database_url")


def test_sqlite_path_that_cannot_be_written(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", '[storage]\ndatabase_url = "sqlite:////proc/newsbot.db"\n')
    one_line_exit_2(newsbot("--config", str(config), "sources"), "storage.database_url", "/proc")


def test_sqlite_folder_that_is_read_only(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    config = write(tmp_path / "c.toml", f'[storage]\ndatabase_url = "sqlite:///{folder}/n.db"\n')
    try:
        one_line_exit_2(newsbot("--config", str(config), "sources"), "storage.database_url")
    finally:
        folder.chmod(0o700)


def test_postgres_refused_port_masks_the_password(tmp_path: Path) -> None:
    url = f"postgresql://newsbot:{PASSWORD}@127.0.0.1:9/newsbot"
    config = write(tmp_path / "c.toml", "")
    line = one_line_exit_2(
        newsbot("--config", str(config), "sources", env={"NEWSBOT_DATABASE_URL": url}),
        "storage.database_url",
        "newsbot:********@127.0.0.1:9/newsbot",
    )
    assert "refused" in line.lower() or "failed" in line.lower()
    line = one_line_exit_2(
        newsbot(
            "--config",
            str(config),
            "config",
            "check",
            "--connect",
            env={"NEWSBOT_DATABASE_URL": url},
        ),
        "storage.database_url",
    )


@pytest.mark.postgres
def test_postgres_missing_database(tmp_path: Path) -> None:
    if not POSTGRES_URL:
        pytest.skip("NEWSBOT_TEST_POSTGRES_URL is not set")
    missing = POSTGRES_URL.rsplit("/", 1)[0] + f"/missing_{uuid.uuid4().hex[:8]}"
    config = write(tmp_path / "c.toml", "")
    one_line_exit_2(
        newsbot("--config", str(config), "sources", env={"NEWSBOT_DATABASE_URL": missing}),
        "storage.database_url",
        "does not exist",
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[storage]\ndatabase_url = "mysql://u@h/db"\n', "storage.database_url"),
        ('[storage]\ndatabase_url = "not a url"\n', "storage.database_url"),
        ('[delivery]\ndefault_timezone = "Mars/Base"\n', "delivery.default_timezone"),
        ('[delivery]\ndefault_timezone = "../../etc/passwd"\n', "delivery.default_timezone"),
        ("[wecom]\nenabled = true\n", "wecom.enabled"),
        ('[polling]\nprivate_allowlist = ["10.0.0.0/33"]\n', "polling.private_allowlist"),
    ],
)
def test_config_check_catches_what_run_would_trip_over(tmp_path: Path, text: str, key: str) -> None:
    config = write(tmp_path / "c.toml", text)
    one_line_exit_2(newsbot("--config", str(config), "config", "check"), key)


def test_config_check_connect_reports_a_reachable_database(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", '[storage]\ndatabase_url = "sqlite:///var/n.db"\n')
    result = newsbot("--config", str(config), "config", "check", "--connect")
    assert result.returncode == 0, result.stderr
    assert "reachable = true" in result.stdout
    # the relative SQLite path is the config file's folder's, wherever we run from
    assert f"sqlite:///{tmp_path / 'var' / 'n.db'}" in result.stdout
    assert (tmp_path / "var" / "n.db").exists()
