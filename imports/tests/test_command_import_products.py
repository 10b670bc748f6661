"""``manage.py import_products FILE`` runs the pipeline in-process."""

import io

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Product
from imports.models import ImportJob


def test_command_imports_a_file_and_prints_the_summary(db, tmp_path):
    path = tmp_path / "products.csv"
    path.write_bytes(b"sku,name\nA-1,Kettle\nA-2,Cup\n,Nameless\n")
    out = io.StringIO()

    call_command("import_products", str(path), stdout=out)

    assert set(Product.objects.values_list("sku", flat=True)) == {"A-1", "A-2"}
    assert "Import complete: 2 created, 0 updated, 0 unchanged, 1 rejected" in (
        out.getvalue()
    )
    assert "100%" in out.getvalue()
    assert ImportJob.objects.get().status == ImportJob.Status.COMPLETED


def test_command_fails_with_the_reason_for_a_bad_file(db, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_bytes(b"code\n1\n")

    with pytest.raises(CommandError, match="no \u201csku\u201d column"):
        call_command("import_products", str(path), stdout=io.StringIO())


def test_command_refuses_a_missing_file(db):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_products", "/nonexistent.csv")
