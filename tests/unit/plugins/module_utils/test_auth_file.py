# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.credentials import auth_file


@pytest.mark.parametrize("preset, environ, uid, expected", [
    ("podman", {}, 0, "/run/containers/0/auth.json"),
    ("podman", {}, 1000, "/run/containers/1000/auth.json"),
    ("podman", {"XDG_RUNTIME_DIR": "/run/user/1000"}, 1000, "/run/user/1000/containers/auth.json"),
    ("docker", {"DOCKER_CONFIG": "/etc/docker-conf"}, 0, "/etc/docker-conf/config.json"),
    ("kubelet", {"XDG_RUNTIME_DIR": "/x"}, 0, "/var/lib/kubelet/config.json"),
])
def test_default_paths(preset, environ, uid, expected):
    assert auth_file.default_path(preset, environ, uid) == expected


def test_docker_default_is_in_the_home_directory(monkeypatch):
    monkeypatch.setenv("HOME", "/home/someone")
    assert auth_file.default_path("docker", {}, 1000) == "/home/someone/.docker/config.json"


def test_broken_file_is_reported_and_left_alone(tmp_path):
    path = tmp_path / "auth.json"
    path.write_text('{"auths": {"quay.io": {"auth": "planted-secret-broken"')
    with pytest.raises(auth_file.AuthFileError) as err:
        auth_file.read(str(path))
    assert "not valid JSON" in str(err.value) and "left untouched" in str(err.value)
    assert "planted" not in str(err.value)
    assert path.read_text().endswith('"planted-secret-broken"')


def test_missing_file_is_an_empty_document(tmp_path):
    raw, doc = auth_file.read(str(tmp_path / "none.json"))
    assert raw == b"" and doc == {}


class _Mover(object):
    def atomic_move(self, src, dest):
        import os
        os.rename(src, dest)


def test_new_auth_file_and_every_directory_are_private_even_with_umask_000(tmp_path):
    import os
    import stat
    target = tmp_path / "home" / ".config" / "containers" / "auth.json"
    old = os.umask(0)
    try:
        auth_file.write(_Mover(), str(target), b'{"auths": {}}')
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o600
    for directory in (tmp_path / "home", tmp_path / "home" / ".config", target.parent):
        assert stat.S_IMODE(os.stat(str(directory)).st_mode) == 0o700, directory
    assert [p.name for p in target.parent.iterdir()] == ["auth.json"]
