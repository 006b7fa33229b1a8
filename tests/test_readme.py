"""The README's three ways in work on a fresh clone: its examples run as written, and nothing
they print to stderr is a warning a newcomer could not act on.

Each ```bash or ```python block of the README carries a marker on the line above it:

- ``<!-- snippet: run -->``: the tests run it, in order, in a fresh clone;
- ``<!-- snippet: run, exits 1 -->``: the same, and it must exit 1 (a file with errors);
- ``<!-- snippet: skip (reason) -->``: not run, for the reason given;
- after ``run``, ``| old => new`` pairs shrink the sizes for the tests (``--households 20000
  => --households 300``): each must occur in the block, so that they cannot drift either.

The blocks of "The risk-score service" are exempt: tests/api checks them against the live app.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXEMPT_SECTION = "## The risk-score service"
FENCE = re.compile(r"^```(?P<lang>bash|python)\n(?P<code>.*?)^```\n", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"<!-- snippet: (?P<spec>.*) -->")


@dataclass
class Snippet:
    """One fenced block of the README and what its marker says to do with it."""

    lang: str
    code: str
    line: int
    spec: str | None
    substitutions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def runs(self) -> bool:
        return self.spec is not None and self.spec.split("|")[0].strip().startswith("run")

    @property
    def exit_code(self) -> int:
        return 1 if self.spec and "exits 1" in self.spec.split("|")[0] else 0

    def shrunk(self) -> str:
        """The block with its test sizes (each substitution must apply)."""
        code = self.code
        for old, new in self.substitutions:
            assert old in code, f"README line {self.line}: {old!r} is not in the block"
            code = code.replace(old, new)
        return code


def readme_snippets(text: str) -> list[Snippet]:
    """Every ```bash and ```python block of ``text`` outside the exempt section."""
    exempt = text.find(EXEMPT_SECTION)
    exempt_end = text.find("\n## ", exempt + 1) if exempt >= 0 else -1
    snippets = []
    for match in FENCE.finditer(text):
        if exempt >= 0 and exempt <= match.start() < (exempt_end if exempt_end > 0 else len(text)):
            continue
        above = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.fullmatch(above)
        spec = marker.group("spec") if marker else None
        parts = [p.strip() for p in spec.split("|")] if spec else []
        pairs = [tuple(p.split(" => ", 1)) for p in parts[1:]]
        snippets.append(
            Snippet(
                match.group("lang"),
                match.group("code"),
                text.count("\n", 0, match.start()) + 1,
                spec,
                [(old, new) for old, new in pairs],
            )
        )
    return snippets


SNIPPETS = readme_snippets(README.read_text(encoding="utf-8"))


def test_every_example_of_the_readme_is_run_or_says_why_not() -> None:
    assert len(SNIPPETS) >= 10
    for snippet in SNIPPETS:
        assert snippet.spec is not None, f"README line {snippet.line}: no snippet marker"
        assert snippet.runs or re.fullmatch(r"skip \(.+\)", snippet.spec), snippet.spec
        snippet.shrunk()  # every substitution applies


def test_the_python_example_guards_its_work_for_worker_processes() -> None:
    (python,) = [s for s in SNIPPETS if s.lang == "python"]
    assert python.runs and "workers=2" in python.code
    assert 'if __name__ == "__main__":' in python.code


def test_the_readme_links_files_of_the_project_only() -> None:
    text = README.read_text(encoding="utf-8")
    assert "../shared" not in text
    for target in re.findall(r"\]\(((?!https?:|#)[^)]+)\)", text):
        assert (ROOT / target).exists(), f"README links {target}, which a clone does not have"
    for example in re.findall(r"data/examples/[\w./-]+", text):
        assert (ROOT / example).exists(), example


# --- the three ways in, on a fresh clone -------------------------------------------------------

# What a newcomer must never see on stderr: Python's warnings and tracebacks, MLflow's notes.
NOISE = re.compile(r"warning|traceback|deprecat|INFO mlflow", re.IGNORECASE)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A fresh clone of this checkout's HEAD, run with this environment's packages and the
    clone's own code (``PYTHONPATH``), a throwaway MLflow store and key file."""
    where = tmp_path_factory.mktemp("fresh") / "zengshou"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(where)], check=True)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": f"{where / 'src'}{os.pathsep}{where}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{where.parent / 'mlruns' / 'mlflow.db'}",
        "ZENGSHOU_API_KEYS_FILE": str(where.parent / "api_keys.json"),
        "ZENGSHOU_PROGRESS": "1",  # the bars a user sees, on stderr
        "PIP_CONFIG_FILE": os.devnull,  # this machine's pip settings are not the project's
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("MPLBACKEND", None)
    return where, env


def _run(snippet: Snippet, where: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    code = snippet.shrunk()
    if snippet.lang == "python":
        script = where / "target_test.py"
        script.write_text(code)
        command = [sys.executable, str(script)]
    else:
        command = ["bash", "-e", "-o", "pipefail", "-c", code]
    return subprocess.run(command, cwd=where, env=env, capture_output=True, text=True, timeout=300)


def _check(snippet: Snippet, done: subprocess.CompletedProcess) -> None:
    where = f"README line {snippet.line}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == snippet.exit_code, where
    if snippet.exit_code == 0:
        noise = [line for line in done.stderr.splitlines() if NOISE.search(line)]
        assert not noise, f"README line {snippet.line} printed to stderr: {noise}"


@pytest.mark.slow
@pytest.mark.integration
def test_researcher_and_planner_paths_run_as_written_on_a_fresh_clone(clone) -> None:
    where, env = clone
    assert not (where / "data" / "generated").exists()  # nothing generated comes with it
    ran, stderr = 0, ""
    for snippet in SNIPPETS:
        if snippet.runs:
            done = _run(snippet, where, env)
            _check(snippet, done)
            ran, stderr = ran + 1, stderr + done.stderr
    assert ran == sum(s.runs for s in SNIPPETS)
    # Long work shows its progress: the panel, the backtest's fits, the risk model's steps,
    # each MLflow record, the scoring, the target models, each scenario's replications.
    for bar in ("synthetic panel", "backtest", "risk model", "MLflow record", "scoring"):
        assert f"{bar}: 100%" in stderr, bar
    for bar in ("series origins", "action_plan", "skills_first"):
        assert f"{bar}: 100%" in stderr, bar
    # What the examples promise: the files they write, and the progress bars they show.
    generated = where / "data" / "generated"
    assert (generated / "panel.parquet").exists() and (where / "scores.parquet").exists()
    assert json.loads((where / "backtest.json").read_text())[0]["model"] == "naive"
    assert (generated / "runs" / "action_plan" / "summary.json").exists()
    assert (generated / "runs" / "compare" / "comparison.csv").exists()


@pytest.mark.slow
@pytest.mark.integration
def test_engineer_path_trains_serves_and_scores_the_readme_request(clone) -> None:
    where, env = clone
    panel = where / "data" / "generated" / "panel.parquet"
    if not panel.exists():  # run alone: the researcher's panel first
        subprocess.run(
            ["zengshou", "data", "synth", "--households", "300", "--out", str(panel)],
            cwd=where, env=env, check=True, capture_output=True,
        )  # fmt: skip
    subprocess.run(
        ["zengshou", "risk", "train", "--panel", str(panel)],
        cwd=where, env=env, check=True, capture_output=True,
    )  # fmt: skip
    created = subprocess.run(
        ["zengshou", "api-key", "create", "--scope", "score", "--label", "county platform"],
        cwd=where, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    key = created.stdout.splitlines()[0].strip()  # printed once, first
    port = _free_port()
    server = subprocess.Popen(
        ["zengshou", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=where, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready") as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the service was not ready within 90 s")
        text = README.read_text(encoding="utf-8")
        service = text[text.find(EXEMPT_SECTION) :]
        request = next(
            m.group("code") for m in FENCE.finditer(service) if "/v1/risk-scores" in m.group("code")
        )
        if shutil.which("curl") is None:
            pytest.skip("curl is not installed")
        done = subprocess.run(
            ["bash", "-e", "-c", request.replace("127.0.0.1:8000", f"127.0.0.1:{port}")],
            cwd=where, env={**env, "ZENGSHOU_KEY": key}, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        shown = json.loads(re.search(r"```json\n(.*?)```", service, re.DOTALL).group(1))
        assert set(answer) == set(shown), done.stdout
        assert set(answer["scores"][0]) == set(shown["scores"][0])
        assert [s["household_id"] for s in answer["scores"]] == ["H0000001"]
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    noise = [line for line in stderr.splitlines() if NOISE.search(line)]
    assert not noise, noise


def test_make_lab_allows_root_only_when_run_as_root() -> None:
    def lab_command(*prefix: str) -> str:
        done = subprocess.run(
            [*prefix, "make", "--no-print-directory", "-n", "lab"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return next(line for line in done.stdout.splitlines() if "jupyter lab" in line)

    as_me = lab_command()
    assert "--notebook-dir=notebooks" in as_me
    assert ("--allow-root" in as_me) == (os.getuid() == 0)
    if os.getuid() == 0 and shutil.which("runuser"):  # and as a user, when we can be one
        assert "--allow-root" not in lab_command("runuser", "-u", "nobody", "--")
