"""labctl: a port taken between choosing it and binding it starts the lab again, any other failure does not."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.lab import labctl


def exited(tmp_path, monkeypatch, name, log_text):
    monkeypatch.setattr(labctl, "LAB_DIR", str(tmp_path))
    os.makedirs(tmp_path / "logs", exist_ok=True)
    (tmp_path / "logs" / (name + ".log")).write_text(log_text)
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])  # pylint: disable=consider-using-with
    proc.wait()
    return proc


def test_a_taken_port_is_told_apart(tmp_path, monkeypatch):
    proc = exited(tmp_path, monkeypatch, "registry-basic",
                  "listen tcp 127.0.0.1:41234: bind: address already in use\n")
    with pytest.raises(labctl.PortTaken) as info:
        labctl.wait_https("https://127.0.0.1:1/v2/", "/nonexistent", proc, "registry-basic")
    assert "registry-basic exited with 1" in str(info.value)


def test_other_failures_are_not_retried(tmp_path, monkeypatch):
    proc = exited(tmp_path, monkeypatch, "api", "Traceback ...\nKeyError: 'api_port'\n")
    with pytest.raises(SystemExit) as info:
        labctl.wait_https("https://127.0.0.1:1/version", "/nonexistent", proc, "api")
    assert not isinstance(info.value, labctl.PortTaken)
