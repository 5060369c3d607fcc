"""Django's admin: system administrators only, read-mostly, role changes through actions and audited."""

import pytest
from django.test import Client

from yanxiu.core.models import AuditEvent
from yanxiu.org.models import Role, RoleAssignment
from yanxiu.org.tests.factories import UserFactory, district_admin, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(regions):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_admin_is_closed_to_non_staff(regions, client_for) -> None:
    response = client_for(district_admin("440105")).get("/sysadmin/")
    assert response.status_code == 302 and "/sysadmin/login/" in response["Location"]
    assert Client().get("/sysadmin/org/teacher/").status_code == 302


def test_audit_log_is_read_only_in_admin(sysadmin, client_for) -> None:
    client = client_for(sysadmin)
    AuditEvent.objects.create(action="x", actor_label="system")
    event = AuditEvent.objects.get()
    assert client.get("/sysadmin/core/auditevent/").status_code == 200
    assert client.get(f"/sysadmin/core/auditevent/{event.pk}/delete/").status_code == 403


def test_granting_a_role_in_admin_goes_through_the_action(sysadmin, client_for) -> None:
    target = UserFactory(username="newadmin")
    client = client_for(sysadmin)
    response = client.post(
        "/sysadmin/org/roleassignment/add/",
        {"user": target.pk, "role": Role.DISTRICT_ADMIN, "region": "440105", "school": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert RoleAssignment.objects.filter(user=target, role=Role.DISTRICT_ADMIN, region=region("440105")).exists()
    assert AuditEvent.objects.filter(action="role.assigned", actor=sysadmin).exists()
    assignment = RoleAssignment.objects.get(user=target)
    response = client.post(f"/sysadmin/org/roleassignment/{assignment.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(user=target).exists()
    assert AuditEvent.objects.filter(action="role.revoked", actor=sysadmin).exists()


def test_deactivating_a_user_in_admin_is_audited(sysadmin, client_for) -> None:
    target = UserFactory(username="leaver")
    response = client_for(sysadmin).post(
        f"/sysadmin/accounts/user/{target.pk}/change/", {"is_staff": "", "must_change_password": "", "is_active": ""}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    event = AuditEvent.objects.get(action="admin.changed")
    assert event.actor == sysadmin and event.detail == {"fields": ["is_active"]}
