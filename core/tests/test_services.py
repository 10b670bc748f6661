import pytest
from django.contrib.auth import get_user_model

from core.services import admin_user_ensure


@pytest.mark.django_db
def test_admin_ensure_creates_admin_once_with_a_kept_random_password(tmp_path):
    password_file = tmp_path / "admin-password.txt"

    first = admin_user_ensure(username=None, password=None, password_file=password_file)
    second = admin_user_ensure(
        username=None, password=None, password_file=password_file
    )

    admin = get_user_model().objects.get(username="admin")
    assert first.created and first.password
    assert admin.is_superuser
    assert admin.check_password(password_file.read_text().strip())
    assert second.created is False and second.password is None


@pytest.mark.django_db
def test_admin_ensure_resets_the_configured_superusers_password(tmp_path):
    user_model = get_user_model()
    user_model.objects.create_user(username="boss", password="old-password")

    admin_user_ensure(
        username="boss", password="new-password-123", password_file=tmp_path / "x"
    )

    boss = user_model.objects.get(username="boss")
    assert boss.check_password("new-password-123")
    assert boss.is_superuser and boss.is_staff
