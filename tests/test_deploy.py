"""The deployment files keep their promises (no Docker daemon needed to check these)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_TOOLS = ("pytest", "ruff", "mypy", "hypothesis")


def runtime_stage() -> list[str]:
    lines = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8").splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    return [line.strip() for line in lines[start:] if line.strip() and not line.startswith("#")]


def test_runtime_image_has_no_dev_tools_and_a_healthcheck() -> None:
    stage = runtime_stage()
    assert not any(line.startswith("RUN") and "pip install" in line for line in stage)
    assert any(line.startswith("COPY --from=build /opt/newsbot") for line in stage)
    assert any(line.startswith("HEALTHCHECK") for line in stage)
    assert "USER newsbot" in stage
    build = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "--constraint requirements.lock ." in build  # runtime requirements, pinned
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = " ".join(project["dependencies"]).lower()
    assert not any(tool in runtime for tool in DEV_TOOLS)


def test_dockerignore_keeps_the_context_small_and_secret_free() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".git", ".venv", "var", "*.db", ".env", "tests"):
        assert entry in ignored
