"""The load balancer's probes: /healthz while alive, /readyz only with its dependencies."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from chat.realtime import shutdown
from tests.conftest import free_port


def test_healthz_answers_without_signing_in(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_checks_the_database_alone_without_redis(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_fails_while_the_process_drains(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutdown, "_draining", True)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "draining", "checks": {"database": "ok"}}
    assert client.get("/healthz").status_code == 200


class TestWithRedis:
    @pytest.fixture
    def app_config(self, redis_url: str) -> dict[str, Any]:
        return {"REDIS_URL": redis_url}

    def test_ready_when_redis_answers(self, client: FlaskClient) -> None:
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


class TestRedisDown:
    port = free_port()

    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"REDIS_URL": f"redis://:s3cret@127.0.0.1:{self.port}/0"}

    def test_the_start_says_so_in_the_log(
        self, caplog: pytest.LogCaptureFixture, client: FlaskClient
    ) -> None:
        said = [r.getMessage() for r in caplog.get_records("setup") if r.levelname == "ERROR"]
        assert len(said) == 1
        assert f"REDIS_URL is set but Redis at 127.0.0.1:{self.port} is unreachable" in said[0]
        assert "s3cret" not in said[0]

    def test_not_ready_and_says_redis(self, client: FlaskClient) -> None:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json() == {
            "status": "unavailable",
            "checks": {"database": "ok", "redis": "unreachable"},
        }
        assert client.get("/healthz").status_code == 200


class TestDatabaseDown:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"}

    def test_not_ready_and_says_database(self, client: FlaskClient) -> None:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["checks"] == {"database": "unreachable"}
        assert client.get("/healthz").status_code == 200
