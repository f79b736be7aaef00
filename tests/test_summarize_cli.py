"""`newsbot summarize` as a subprocess: JSON lines, text output, per-file errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PORTAL_PAGE = ROOT / "src" / "newsbot" / "sample_portal" / "gsyl" / "taiyuan" / "5857.html"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsbot", "summarize", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_json_lines_for_text_html_and_failures(tmp_path: Path) -> None:
    titled = tmp_path / "titled.txt"
    titled.write_text(
        "党建赋能 激活高质量发展\n\n今年以来，阳泉高新区带动就业1003人。\n需化解债务3029.56万元。\n",
        encoding="utf-8",
    )
    untitled = tmp_path / "untitled.txt"
    untitled.write_text("全区175个党组织划归至8个党委。\n第二段。\n", encoding="utf-8")
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("共计查摆出问题4804条。".encode("gbk"))
    missing = tmp_path / "missing.txt"
    paths = [titled, untitled, gbk, missing]
    if PORTAL_PAGE.exists():
        paths.append(PORTAL_PAGE)
    result = _run("--json", *map(str, paths), cwd=tmp_path)
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["path"] for r in records] == [str(p) for p in paths]
    first, second, bad, gone = records[:4]
    assert first["title"] == "党建赋能 激活高质量发展"
    assert first["key_points"] == ["今年以来，阳泉高新区带动就业1003人。"]  # short: one whole point
    assert {f["text"] for f in first["figures"]} == {"1003人", "3029.56万元"}
    assert first["headline_figures"][0]["value"] == 30_295_600
    assert first["elapsed_ms"] >= 0
    assert second["title"] == "" and second["key_points"]
    assert "not UTF-8" in bad["error"] and "cannot read" in gone["error"]
    assert "gbk.txt" in result.stderr and "missing.txt" in result.stderr
    if PORTAL_PAGE.exists():
        page = records[4]
        assert "就业" in page["title"] and 1 <= len(page["key_points"]) <= 5


def test_readable_text_and_success_status(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("标题\n\n高新区带动就业1003人。\n", encoding="utf-8")
    result = _run(str(article), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "标题：标题" in result.stdout and "要点：" in result.stdout
    assert "1. 高新区带动就业1003人。" in result.stdout and "1003人" in result.stdout
