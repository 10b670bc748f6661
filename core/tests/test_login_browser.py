import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_user_logs_in_sees_the_products_section_and_logs_out(page, live_server, user):
    # given: an anonymous visitor is sent to the login page
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url

    # when: they sign in
    page.get_by_label("Username").fill("catalog-manager")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()

    # then: they land on Products, marked as the current section
    page.wait_for_url(f"{live_server.url}/")
    current = page.locator("nav.sections a[aria-current='page']")
    assert current.inner_text() == "Products"

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")


def test_wrong_password_shows_an_error_in_words(page, live_server, user):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("catalog-manager")
    page.get_by_label("Password").fill("nope")
    page.get_by_role("button", name="Log in").click()

    assert (
        page.get_by_role("alert")
        .inner_text()
        .startswith("Your username and password didn't match")
    )
