"""schemathesis against /api/v1: whatever the generated input, no server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from app.factory import API_PREFIX


def test_no_server_error_on_any_generated_request(app, client, world, auth):
    auth.login(client, "admin")  # the widest access reaches the most code
    cookie = f"kla_session={client.cookies.get('kla_session')}"
    schema = schemathesis.openapi.from_asgi(f"{API_PREFIX}/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    seen = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            response = case.call(headers={"Cookie": cookie})
            seen.append(response.status_code)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
            )

        check()
    assert 200 in seen  # the session really reached the handlers
