"""GET /healthz reports the database, Redis and the version without signing in."""


def test_health_without_redis_says_absent(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json == {"database": "ok", "redis": "absent", "status": "ok",
                      "version": r.json["version"]}
    assert r.json["version"]


def test_health_with_real_redis_says_ok(app, client, redis_url):
    app.config["REDIS_URL"] = redis_url
    try:
        assert client.get("/healthz").json["redis"] == "ok"
    finally:
        app.config["REDIS_URL"] = None


def test_health_with_redis_down_says_down(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        r = client.get("/healthz")
        assert r.status_code == 200 and r.json["redis"] == "down" and r.json["status"] == "degraded"
    finally:
        app.config["REDIS_URL"] = None
