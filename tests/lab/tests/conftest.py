"""Fixtures for the lab's own tests: they need a running lab (make lab) and read .lab/lab.env."""

from __future__ import annotations

import pytest
import requests

from tests.lab import labenv


class Api:
    """A plain HTTPS client for the emulator, one token per instance."""

    def __init__(self, env, token):
        self.env = env
        self.base = env["LAB_API_URL"]
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = env["LAB_CA_FILE"]
        if token:
            self.session.headers["Authorization"] = "Bearer " + token

    def call(self, method, path, body=None, content_type="application/json", **params):
        kwargs = {"params": params}
        if body is not None:
            kwargs["data"] = body if isinstance(body, (bytes, str)) else __import__("json").dumps(body)
            kwargs["headers"] = {"Content-Type": content_type}
        return self.session.request(method, self.base + path, **kwargs)

    def get(self, path, **params):
        return self.call("GET", path, **params)

    def requests(self):
        return self.get("/lab/requests").json()["items"]

    def clear_log(self):
        self.call("DELETE", "/lab/requests")

    def fault(self, **rule):
        resp = self.call("POST", "/lab/faults", rule)
        assert resp.status_code == 201, resp.text

    def settings(self, **values):
        return self.call("POST", "/lab/settings", values).json()


@pytest.fixture(scope="session")
def env():
    return labenv.read()


@pytest.fixture()
def admin(env):
    api = Api(env, env["LAB_ADMIN_TOKEN"])
    assert api.call("POST", "/lab/reset").status_code == 200
    yield api
    api.call("POST", "/lab/reset")


@pytest.fixture()
def viewer(env, admin):
    return Api(env, env["LAB_VIEWER_TOKEN"])


@pytest.fixture()
def editor(env, admin):
    return Api(env, env["LAB_EDITOR_TOKEN"])
