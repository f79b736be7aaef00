"""`newsbot search` end to end on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text
from tests.search_support import add_article

from newsbot.cli import cli
from newsbot.storage import db
from newsbot.storage.search import VERSION_KEY, SearchIndex


def _setup(tmp_path: Path) -> tuple[Path, SearchIndex]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[storage]\ndatabase_url = "{url}"\n', encoding="utf-8")
    engine = db.create_db_engine(url)
    db.upgrade(engine)
    return config, SearchIndex(engine)


def test_search_json_and_text(tmp_path: Path) -> None:
    config, index = _setup(tmp_path)
    add_article(index.engine, index, "高新区化解债务", "需化解债务3029.56万元。", section="经济")
    add_article(index.engine, index, "高新区招聘", "招聘公告。")
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config), "search", "--json", "高新区", "-招聘"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] == 1 and data["hits"][0]["title"] == "高新区化解债务"
    assert data["hits"][0]["title_spans"] == [[0, 3]]
    result = runner.invoke(cli, ["--config", str(config), "search", "--limit", "1", "债务"])
    assert result.exit_code == 0 and "1 found" in result.output and "[经济]" in result.output


def test_bad_query_is_one_clear_line(tmp_path: Path) -> None:
    config, _ = _setup(tmp_path)
    result = CliRunner().invoke(cli, ["--config", str(config), "search", "😀"])
    assert result.exit_code == 1
    assert "请输入要搜索的词" in result.output


def test_reindex(tmp_path: Path) -> None:
    config, index = _setup(tmp_path)
    add_article(index.engine, None, "疫情防控", "常态化疫情防控。")
    with index.engine.begin() as connection:
        connection.execute(text("UPDATE meta SET value = 'x' WHERE key = :k"), {"k": VERSION_KEY})
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config), "search", "--reindex"])
    assert result.exit_code == 0 and "rebuilt: 1" in result.output
    assert index.status().current
    result = runner.invoke(cli, ["--config", str(config), "search", "--json", "疫情"])
    assert json.loads(result.stdout)["total"] == 1
