"""A catalog manager imports a small file through the Imports page."""

import pytest
from playwright.sync_api import expect

from catalog.models import Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    b"sku,name,description\n"
    b"BR-1,Kettle,Hot water\n"
    b'BR-2,Cup,"Small, white"\n'
    b",Nameless,rejected\n"
    b"br-1,Kettle XL,Last row wins\n"
)


def test_upload_shows_progress_until_import_complete_with_summary(
    logged_in_page, live_server
):
    page = logged_in_page

    page.goto(f"{live_server.url}/imports/")
    expect(page.get_by_role("heading", name="Imports")).to_be_visible()
    page.set_input_files(
        "#import-file",
        files=[{"name": "products.csv", "mimeType": "text/csv", "buffer": CSV}],
    )

    expect(page.locator("#job-phase")).to_have_text("Import complete", timeout=20_000)
    expect(page.locator("#summary-created")).to_have_text("2")
    expect(page.locator("#summary-updated")).to_have_text("0")
    expect(page.locator("#summary-invalid")).to_have_text("1")
    expect(page.locator("#job-errors")).to_be_visible()
    expect(page.locator("#import-history")).to_contain_text("products.csv")
    assert Product.objects.get(sku__iexact="br-1").name == "Kettle XL"

    # A reload shows the same import again from the address.
    page.reload()
    expect(page.locator("#job-phase")).to_have_text("Import complete")


def test_failed_upload_shows_reason_and_retry(logged_in_page, live_server):
    page = logged_in_page

    page.goto(f"{live_server.url}/imports/")
    page.set_input_files(
        "#import-file",
        files=[{"name": "wrong.csv", "mimeType": "text/csv", "buffer": b"code\n1\n"}],
    )

    expect(page.locator("#job-phase")).to_contain_text("Import failed", timeout=20_000)
    expect(page.locator("#job-error")).to_contain_text("no \u201csku\u201d column")
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
