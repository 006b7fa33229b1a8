"""Shared fixtures. Every test runs against a temporary MLflow store, never ``mlruns/``."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _session_mlflow_store(tmp_path_factory: pytest.TempPathFactory):
    """Default every test (and every subprocess it starts) to a throwaway MLflow store."""
    mp = pytest.MonkeyPatch()
    store = tmp_path_factory.mktemp("mlruns-session")
    mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
    mp.setenv("ZENGSHOU_PROGRESS", "0")
    mp.setenv("ZENGSHOU_CACHE_DIR", str(tmp_path_factory.mktemp("population-cache")))
    yield store
    mp.undo()


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch) -> str:
    """A fresh, empty MLflow store for one test; returns its tracking URI."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


@pytest.fixture(scope="session")
def synthetic_panel():
    """A small synthetic Yunnan panel (3,000 households, 2016-2022, seed 11). Do not mutate."""
    from forecast.synthetic import synthesize_panel

    return synthesize_panel(3_000, seed=11, as_of=2022)


@pytest.fixture(scope="session")
def synthetic_panel_file(synthetic_panel, tmp_path_factory) -> str:
    """The small synthetic panel written to Parquet; returns the path."""
    path = tmp_path_factory.mktemp("panel") / "panel.parquet"
    synthetic_panel.to_parquet(path, index=False)
    return str(path)
