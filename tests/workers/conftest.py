import pytest


@pytest.fixture(autouse=True)
def mail_outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
