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
