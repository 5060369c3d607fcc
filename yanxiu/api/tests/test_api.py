"""The JSON API: tokens, the error shape, scope and masking, the OpenAPI document."""

import pytest
from django.test import Client

from yanxiu.accounts.models import ApiToken
from yanxiu.conftest import PASSWORD
from yanxiu.core.models import AuditEvent
from yanxiu.org.models import Role
from yanxiu.org.tests.factories import SchoolFactory, TeacherFactory, district_admin, region, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(regions):
    haizhu = SchoolFactory(name="海珠一小", region=region("440105"))
    panyu = SchoolFactory(name="番禺一小", region=region("440113"))
    t_haizhu = TeacherFactory(teacher_no="H0001", school=haizhu)
    t_haizhu.user.mobile = "13812345678"
    t_haizhu.user.save()
    return {"haizhu": haizhu, "panyu": panyu, "t_haizhu": t_haizhu, "t_panyu": TeacherFactory(school=panyu)}


def token_for(username: str, password: str = PASSWORD) -> str:
    response = Client().post(
        "/api/v1/auth/token", {"username": username, "password": password}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_token_login_and_me(world) -> None:
    admin = district_admin("440105", username="hz")
    token = token_for("hz")
    assert ApiToken.objects.get().digest != token  # only the digest is stored
    body = bearer(token).get("/api/v1/me").json()
    assert body["username"] == "hz"
    assert body["roles"] == [
        {"role": "district_admin", "role_label": "区县管理员", "region": "440105", "school_id": None}
    ]
    assert AuditEvent.objects.filter(action="login.succeeded", actor=admin, detail__via="api").exists()


def test_bad_credentials_are_a_chinese_error_and_count_for_lockout(world) -> None:
    district_admin("440105", username="hz")
    for _ in range(5):
        response = Client().post(
            "/api/v1/auth/token", {"username": "hz", "password": "x"}, content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json() == {"code": "bad_credentials", "message": "账号或密码不正确。"}
    response = Client().post(
        "/api/v1/auth/token", {"username": "hz", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 429
    assert response.json()["code"] == "login_locked"


def test_malformed_request_is_422_in_chinese(world) -> None:
    response = Client().post("/api/v1/auth/token", {"username": "hz"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["message"] == "请求参数不正确。"


@pytest.mark.parametrize("url", ["/api/v1/me", "/api/v1/org/teachers", "/api/v1/org/schools", "/api/v1/org/regions"])
def test_anonymous_and_bad_tokens_are_401(world, url) -> None:
    assert Client().get(url).status_code == 401
    response = bearer("not-a-token").get(url)
    assert response.status_code == 401
    assert response.json()["message"] == "请先登录或提供有效的令牌。"


def test_revoked_and_expired_tokens_stop_working(world) -> None:
    from django.utils import timezone

    district_admin("440105", username="hz")
    token = token_for("hz")
    client = bearer(token)
    assert client.delete("/api/v1/auth/token").status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    token = token_for("hz")
    ApiToken.objects.filter(revoked_at__isnull=True).update(expires_at=timezone.now())
    assert bearer(token).get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("url", ["/api/v1/org/teachers", "/api/v1/org/schools", "/api/v1/org/regions"])
def test_wrong_role_is_403(world, url) -> None:
    user_with_role(Role.TUTOR, region_code="440105", username="tutor")
    response = bearer(token_for("tutor")).get(url)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_teachers_are_scoped_and_masked(world) -> None:
    district_admin("440105", username="hz")
    client = bearer(token_for("hz"))
    body = client.get("/api/v1/org/teachers").json()
    assert body["count"] == 1
    assert body["items"][0]["teacher_no"] == "H0001"
    assert body["items"][0]["mobile"] == "138****5678"
    for params in ({"region": "440113"}, {"school": str(world["panyu"].pk)}, {"q": world["t_panyu"].teacher_no}):
        assert client.get("/api/v1/org/teachers", params).json()["count"] == 0


def test_objects_outside_scope_are_404_with_no_detail(world) -> None:
    district_admin("440105", username="hz")
    client = bearer(token_for("hz"))
    assert client.get(f"/api/v1/org/teachers/{world['t_haizhu'].pk}").status_code == 200
    response = client.get(f"/api/v1/org/teachers/{world['t_panyu'].pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get(f"/api/v1/org/schools/{world['panyu'].pk}").status_code == 404


def test_personal_data_right_unmasks_in_api(world) -> None:
    district_admin("440105", username="hz", sees_personal_data=True)
    body = bearer(token_for("hz")).get(f"/api/v1/org/teachers/{world['t_haizhu'].pk}").json()
    assert body["mobile"] == "13812345678"


def test_schools_and_regions(world) -> None:
    user_with_role(Role.CITY_ADMIN, region_code="440100", username="gz")
    client = bearer(token_for("gz"))
    names = {s["name"] for s in client.get("/api/v1/org/schools").json()["items"]}
    assert names == {"海珠一小", "番禺一小"}
    codes = {r["code"] for r in client.get("/api/v1/org/regions").json()}
    assert {"440100", "440105", "440113"} <= codes
    assert "440303" not in codes


def test_session_auth_needs_csrf_for_writes(world) -> None:
    district_admin("440105", username="hz")
    client = Client(enforce_csrf_checks=True)
    client.post("/accounts/login/", {"username": "hz", "password": PASSWORD, "csrfmiddlewaretoken": "x"})
    client.force_login(type(world["t_haizhu"].user).objects.get(username="hz"))
    assert client.get("/api/v1/me").status_code == 200
    assert client.delete("/api/v1/auth/token").status_code == 403


def test_openapi_and_self_hosted_docs(world) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "研修平台 API"
    assert "/api/v1/org/teachers" in schema["paths"]
    docs = Client().get("/api/v1/docs").content.decode()
    assert "cdn" not in docs.lower()
    assert "/static/ninja/" in docs


def test_healthz_reports_the_database() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_initial_password_must_be_changed_through_the_api_first(world) -> None:
    from yanxiu.org.tests.factories import UserFactory

    user = UserFactory(username="fresh", must_change_password=True)
    user.role_assignments.create(role=Role.DISTRICT_ADMIN, region=region("440105"))
    client = bearer(token_for("fresh"))
    response = client.get("/api/v1/org/teachers")
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"
    weak = client.post(
        "/api/v1/auth/password", {"old_password": PASSWORD, "new_password": "12345678"}, content_type="application/json"
    )
    assert weak.status_code == 400 and "过于常见" in weak.json()["message"]
    response = client.post(
        "/api/v1/auth/password",
        {"old_password": PASSWORD, "new_password": "Lotus-Pond-2026"},
        content_type="application/json",
    )
    assert response.status_code == 204
    assert client.get("/api/v1/org/teachers").status_code == 200
    user.refresh_from_db()
    assert user.check_password("Lotus-Pond-2026") and not user.must_change_password


def test_session_user_with_initial_password_is_stopped_in_the_api_too(world, client_for) -> None:
    from yanxiu.org.tests.factories import UserFactory

    user = UserFactory(username="fresh2", must_change_password=True)
    user.role_assignments.create(role=Role.DISTRICT_ADMIN, region=region("440105"))
    assert client_for(user).get("/api/v1/org/teachers").json()["code"] == "password_change_required"
