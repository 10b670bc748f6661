"""The products page in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import Product
from catalog.tests.factories import ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rows(page):
    return page.locator("#product-table tbody tr")


def swap_settled(locator) -> None:
    """Waits until htmx has settled a swapped-in element: it removes the
    ``htmx-added`` class in the same step that applies ``autofocus``."""
    expect(locator).not_to_have_class(re.compile(r"\bhtmx-added\b"))


def test_filter_updates_table_and_url_and_back_restores(logged_in_page, live_server):
    page = logged_in_page
    ProductFactory(sku="LAMP-1", name="Desk lamp")
    ProductFactory(sku="CHAIR-1", name="Office chair")
    page.goto(f"{live_server.url}/")
    expect(rows(page)).to_have_count(2)

    page.get_by_label("Search").fill("lamp")

    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("LAMP-1")
    expect(page).to_have_url(re.compile(r"q=lamp"))
    expect(page.locator("#product-range")).to_have_text("1–1 of 1")

    page.get_by_label("Status").select_option("false")
    expect(page.get_by_text("No products match these filters.")).to_be_visible()

    page.go_back()
    expect(page.get_by_label("Search")).to_have_value("lamp")
    expect(rows(page)).to_have_count(1)


def test_pagination_and_sorting(logged_in_page, live_server):
    page = logged_in_page
    for number in range(60):
        ProductFactory(sku=f"P-{number:03d}")
    page.goto(f"{live_server.url}/?page_size=25")
    expect(page.locator("#product-range")).to_have_text("1–25 of 60")

    page.get_by_role("link", name="Next page").click()
    expect(page.locator("#product-range")).to_have_text("26–50 of 60")
    expect(page).to_have_url(re.compile(r"page=2"))

    page.get_by_role("link", name="Last page").click()
    expect(page.locator("#product-range")).to_have_text("51–60 of 60")
    expect(rows(page)).to_have_count(10)

    page.get_by_role("link", name="SKU").click()
    expect(page).to_have_url(re.compile(r"ordering=sku"))
    expect(page.locator("th[aria-sort='ascending']")).to_have_text("SKU")
    page.get_by_role("link", name="SKU").click()
    expect(page).to_have_url(re.compile(r"ordering=-sku"))
    expect(rows(page).first).to_contain_text("P-059")
    expect(page.locator("#product-range")).to_have_text("1–25 of 60")


def test_create_in_dialog_with_case_insensitive_sku_error(logged_in_page, live_server):
    page = logged_in_page
    ProductFactory(sku="ABC-1")
    page.goto(f"{live_server.url}/")

    page.get_by_role("button", name="Add product").first.click()
    dialog = page.locator("#product-create-dialog")
    dialog.get_by_label("SKU").fill("abc-1")
    dialog.get_by_role("button", name="Create product").click()
    expect(dialog.locator("#create-sku-error")).to_have_text(
        "A product with SKU ABC-1 already exists."
    )
    # htmx moves focus to the field in error once the swap settles; typing
    # before that would land in the wrong field.
    swap_settled(dialog.locator("#product-create-form"))
    expect(dialog.get_by_label("SKU")).to_be_focused()

    dialog.get_by_label("SKU").fill("NEW-<b>1</b>")
    dialog.get_by_label("Name").fill("<script>window.pwned=1</script>")
    dialog.get_by_role("button", name="Create product").click()

    expect(dialog).to_be_hidden()
    expect(page.locator(".toast")).to_contain_text("Product NEW-<b>1</b> created.")
    expect(rows(page)).to_have_count(2)
    expect(page.get_by_text("<script>window.pwned=1</script>")).to_be_visible()
    assert page.evaluate("window.pwned") is None


def test_edit_inline_enter_saves_escape_cancels(logged_in_page, live_server):
    page = logged_in_page
    product = ProductFactory(sku="E-1", name="Old name")
    ProductFactory(sku="TAKEN")
    page.goto(f"{live_server.url}/")
    row = page.locator(f"#product-{product.id}")

    row.get_by_role("button", name="Edit E-1").click()
    # Focus lands in the SKU field once the swap settles (and only then is
    # it safe to type elsewhere).
    swap_settled(row)
    expect(row.get_by_label("SKU")).to_be_focused()
    row.get_by_label("Name").fill("Ignored")
    row.get_by_label("Name").press("Escape")
    expect(row).to_contain_text("Old name")

    row.get_by_role("button", name="Edit E-1").click()
    swap_settled(row)
    expect(row.get_by_label("SKU")).to_be_focused()
    row.get_by_label("SKU").fill("taken")
    row.get_by_label("SKU").press("Enter")
    expect(row.locator(".field-error")).to_have_text(
        "A product with SKU TAKEN already exists."
    )
    swap_settled(row)
    expect(row.get_by_label("SKU")).to_be_focused()

    row.get_by_label("SKU").fill("E-1")
    row.get_by_label("Name").fill("New name")
    row.get_by_label("Name").press("Enter")

    # The toast comes with the response and leaves after a few seconds, so
    # it is checked first.
    expect(page.locator(".toast")).to_contain_text("Product E-1 saved.")
    expect(row).to_contain_text("New name")
    product.refresh_from_db()
    assert product.name == "New name"


def test_toggle_active_in_row(logged_in_page, live_server):
    page = logged_in_page
    product = ProductFactory(sku="T-1", active=True)
    page.goto(f"{live_server.url}/")

    page.get_by_label("Active: T-1").uncheck()

    expect(page.locator(".toast")).to_contain_text("Product T-1 deactivated.")
    product.refresh_from_db()
    assert product.active is False
    expect(page.get_by_label("Active: T-1")).not_to_be_checked()


def test_delete_with_confirmation(logged_in_page, live_server):
    page = logged_in_page
    ProductFactory(sku="D-1")
    ProductFactory(sku="KEEP")
    page.goto(f"{live_server.url}/")

    page.get_by_role("button", name="Delete D-1").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_contain_text("Delete product D-1? This cannot be undone.")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    assert Product.objects.count() == 2

    page.get_by_role("button", name="Delete D-1").click()
    confirm.get_by_role("button", name="Delete").click()

    expect(page.locator(".toast")).to_contain_text("Product D-1 deleted.")
    expect(rows(page)).to_have_count(1)
    assert list(Product.objects.values_list("sku", flat=True)) == ["KEEP"]


def test_bulk_deactivate_selected(logged_in_page, live_server):
    page = logged_in_page
    first, second, _third = ProductFactory.create_batch(3)
    page.goto(f"{live_server.url}/")

    page.get_by_label(f"Select {first.sku}").check()
    page.get_by_label(f"Select {second.sku}").check()
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    page.get_by_role("button", name="Deactivate").click()

    expect(page.locator(".toast")).to_contain_text("Deactivated 2 products.")
    assert Product.objects.filter(active=False).count() == 2


def test_delete_all_with_confirmation(logged_in_page, live_server):
    page = logged_in_page
    ProductFactory.create_batch(3)
    page.goto(f"{live_server.url}/")

    page.get_by_role("button", name="Delete all products").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_contain_text(
        "Delete all 3 products? Are you sure? This cannot be undone."
    )
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    assert Product.objects.count() == 3

    page.get_by_role("button", name="Delete all products").click()
    confirm.get_by_role("button", name="Delete all 3").click()

    expect(page.locator(".toast")).to_contain_text("Deleted all 3 products.")
    expect(
        page.get_by_text("No products yet — import a CSV or add one.")
    ).to_be_visible()
    assert not Product.objects.exists()
