"""The ingest commands on the bundled sample portal (offline) and on a loopback origin."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fakes.origin import Origin, Reply, article_page
from newsbot.cli import cli
from newsbot.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "demo.toml"
PORTAL = ROOT / "src" / "newsbot" / "sample_portal"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    return CliRunner()


def demo_sources() -> int:
    return len([s for s in load_settings(DEMO, environ={}).sources if s.enabled])


def invoke(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, ["--config", str(DEMO), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_poll_the_sample_portal_then_list(runner: CliRunner) -> None:
    first = invoke(runner, "poll", "--once", "--all")
    lines = first.strip().splitlines()
    assert len(lines) == demo_sources()
    assert all(" ok " in line and "failed=0" in line for line in lines)
    assert sum(int(line.split("new=")[1].split()[0]) for line in lines) >= 20
    second = invoke(runner, "poll", "--once", "--all")
    assert all("not-modified" in line for line in second.strip().splitlines())
    assert "no source is due" in invoke(runner, "poll", "--once")
    sources = invoke(runner, "sources")
    assert "sample-yangquan" in sources and "not-modified" in sources
    articles = invoke(runner, "articles", "--limit", "30")
    assert "党建赋能 激活高质量发展“红色引擎”" in articles
    # times in the configured timezone, with their offset (the demo's Asia/Shanghai)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d\+0800", articles)
    assert "duplicate of" in articles  # the sample portal's story that runs in two sections


def test_extract_json_for_a_path_and_a_url(runner: CliRunner) -> None:
    with Origin() as origin:
        url = origin.route(
            "/a.html", Reply(body=article_page("/a.html", title="阳泉高新区累计摸底合同367份"))
        )
        missing = origin.url("/missing.html")
        result = runner.invoke(
            cli,
            [
                "--config",
                str(DEMO),
                "extract",
                "--json",
                str(PORTAL / "gsyl/yangquan/5849.html"),
                url,
                missing,
            ],
        )
    assert result.exit_code == 1  # one input failed; the others are still printed
    local, remote, failed = (json.loads(line) for line in result.output.strip().splitlines())
    assert set(local) == {"url", "title", "published", "text", "elapsed_ms"}
    assert local["title"] == "党建赋能 激活高质量发展“红色引擎”"
    assert "查摆出问题4804条" in local["text"] and local["published"].startswith("2022-07-06")
    assert remote["title"] == "阳泉高新区累计摸底合同367份"
    assert "404" in failed["error"]


def test_poll_loop_stops_on_sigterm(tmp_path: Path) -> None:
    env = os.environ | {
        "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'loop.db'}",
        "PYTHONPATH": str(ROOT / "src"),
    }
    command = [sys.executable, "-m", "newsbot", "--config", str(DEMO), "poll"]
    loop = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert loop.stdout is not None
    first = [loop.stdout.readline() for _ in range(demo_sources())]  # the first cycle's report
    assert all(" ok " in line for line in first), first
    loop.send_signal(signal.SIGTERM)
    _, err = loop.communicate(timeout=30)
    assert loop.returncode == 0 and "stopped" in err


def test_feed_items_take_the_section_of_the_page_that_lists_them(
    runner: CliRunner, tmp_path: Path
) -> None:
    from sqlalchemy import create_engine, select

    from newsbot.storage.schema import articles

    invoke(runner, "poll", "--once", "--all")
    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with engine.connect() as conn:
        rows = dict(conn.execute(select(articles.c.url, articles.c.section)).all())
    engine.dispose()
    sections = {url.rsplit("/", 1)[-1]: section for url, section in rows.items()}
    assert sections["5849.html"] == "阳泉"  # first seen in the section-less RSS feed
    assert "" not in set(sections.values())
