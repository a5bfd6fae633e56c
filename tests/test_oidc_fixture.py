"""The sign-in tests' provider fixture: it skips on a laptop without Node, and fails under CI=true."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from tests import oidc


def test_without_node_the_sign_in_tests_skip_locally_but_fail_under_ci(monkeypatch) -> None:
    monkeypatch.setattr(oidc.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"Node\.js is not installed"):
        oidc.node_or_skip()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the sign-in tests"):
        oidc.node_or_skip()


def test_without_npm_ci_they_fail_under_ci(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(oidc, "JS", tmp_path)
    monkeypatch.setattr(oidc.shutil, "which", lambda name: "/usr/bin/node")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"npm ci --prefix tests/js"):
        oidc.node_or_skip()


needs_node = pytest.mark.skipif(shutil.which("node") is None or not (oidc.JS / "node_modules").is_dir(),
                                reason="needs Node and npm ci --prefix tests/js")


@pytest.mark.slow
@needs_node
def test_the_provider_starts_with_a_secret_that_looks_like_an_option(tmp_path: Path) -> None:
    provider = oidc.OidcProvider("http://127.0.0.1:9/oauth2callback", tmp_path / "op.log",
                                 client_secret="-Tdz-looks-like-an-option")
    try:
        metadata = requests.get(provider.metadata_url, timeout=5).json()
        assert metadata["issuer"] == provider.issuer
        assert "S256" in metadata["code_challenge_methods_supported"] and metadata["end_session_endpoint"]
    finally:
        provider.stop()
    assert "-Tdz-looks-like-an-option" not in provider.output()


@needs_node
def test_a_provider_that_cannot_start_fails_under_ci(monkeypatch, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mjs"
    broken.write_text("process.exit(3);\n")
    monkeypatch.setattr(oidc, "SCRIPT", broken)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="did not start"):
        oidc.OidcProvider("http://127.0.0.1:9/oauth2callback", tmp_path / "op.log")
