"""Vendor sessions resolve proxy and CA settings from the environment once per host, with requests' rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from core.http import VendorSession


def test_proxy_and_no_proxy_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,.internal.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corp-ca.pem")
    session = VendorSession()
    outside = session.merge_environment_settings("https://api.hubapi.com/crm/v3", {}, None, None, None)
    assert outside["proxies"]["https"] == "http://proxy.corp.example:3128"
    assert outside["verify"] == "/etc/ssl/corp-ca.pem"
    inside = session.merge_environment_settings("https://ats.internal.example/v1", {}, None, None, None)
    assert "https" not in inside["proxies"]
    local = session.merge_environment_settings("https://127.0.0.1:8443/hook", {}, None, None, None)
    assert "https" not in local["proxies"]


def test_settings_are_looked_up_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    session = VendorSession()
    first = session.merge_environment_settings("https://api.hubapi.com/a", {}, None, None, None)
    monkeypatch.setenv("HTTPS_PROXY", "http://other.example:8080")  # a running worker never sees this change
    again = session.merge_environment_settings("https://api.hubapi.com/b", {}, True, None, None)
    assert again["proxies"] == first["proxies"] and again["stream"] is True
    explicit = session.merge_environment_settings("https://api.hubapi.com/c", {"https": "http://p:1"}, None, None, None)
    assert explicit["proxies"]["https"] == "http://p:1"  # what a caller passes still wins


def test_netrc_credentials_are_not_attached(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.hubapi.com login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    plain = requests.Session().prepare_request(requests.Request("GET", "https://api.hubapi.com/x"))
    assert "Authorization" in plain.headers  # what requests does by default
    ours = VendorSession().prepare_request(requests.Request("GET", "https://api.hubapi.com/x"))
    assert "Authorization" not in ours.headers
