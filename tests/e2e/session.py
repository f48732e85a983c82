"""Logging in and out through the real allauth pages, as a person does."""

import re

from playwright.sync_api import expect


def log_in(page, base, email, password):
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def log_out(page):
    with page.expect_navigation():
        page.locator("form[action='/accounts/logout/'] button[type=submit]").click()


def people_create(programme, password, rows) -> dict:
    """Users who can log in at once (verified e-mail), each with their role in `programme`:
    rows of (key, email, full name, role or None) -> {key: user}."""
    from allauth.account.models import EmailAddress

    from accounts.models import ProgrammeRole, User

    people = {}
    for key, email, name, role in rows:
        user = User.objects.create_user(email=email, password=password, full_name=name)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        if role:
            ProgrammeRole.objects.create(user=user, programme=programme, role=role)
        people[key] = user
    return people
