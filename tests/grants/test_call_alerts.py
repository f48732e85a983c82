"""Call alerts: people follow calls by programme, country or organisation type and are told
(once, in their language) when a matching call opens; nobody else is."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from grants.calls.models import Call, CallAlert, CallState, Programme
from grants.calls.services import calls_open_close
from tests.factories import call_full
from workers.models import Notification


def test_followers_of_matching_calls_are_told_when_it_opens(client, make_user, programme):
    georgian = make_user(language="ka")
    client.force_login(georgian)
    page = client.get(reverse("calls:call_alerts"))
    assert page.status_code == 200
    client.post(reverse("calls:call_alerts"), {"countries": ["GE"], "org_types": ["ngo"]})
    assert CallAlert.objects.get(user=georgian).countries == ["GE"]
    everything = make_user()
    CallAlert.objects.create(user=everything)
    armenian_media = make_user()
    CallAlert.objects.create(user=armenian_media, countries=["AM"], org_types=["media"])
    other_programme = make_user()
    elsewhere = Programme.objects.create(
        code="other", title="Other", budget=programme.budget, starts_on=programme.starts_on, ends_on=programme.ends_on
    )
    CallAlert.objects.create(user=other_programme, programme=elsewhere)

    call = call_full(programme, state=CallState.PUBLISHED, eligible_countries=["GE", "MD"], eligible_org_types=["ngo"])
    Call.objects.filter(pk=call.pk).update(opens_at=timezone.now() - timedelta(minutes=1))
    calls_open_close()
    calls_open_close()  # a second sweep tells nobody again
    told = Notification.objects.filter(kind="call_published", object_id=str(call.pk))
    assert sorted(n.email for n in told) == sorted([georgian.email, everything.email])
    assert told.get(email=georgian.email).language == "ka"


def test_alerts_are_ones_own(client, make_user):
    owner, other = make_user(), make_user()
    alert = CallAlert.objects.create(user=owner, countries=["MD"])
    client.force_login(other)
    client.post(reverse("calls:call_alerts"), {"delete": str(alert.pk)})
    assert CallAlert.objects.filter(pk=alert.pk).exists()
    assert "You follow no calls yet." in client.get(reverse("calls:call_alerts")).content.decode()
    client.post(reverse("calls:call_alerts"), {"countries": ["XX"]})
    assert not CallAlert.objects.filter(user=other).exists()
    client.force_login(owner)
    client.post(reverse("calls:call_alerts"), {"delete": str(alert.pk)})
    assert not CallAlert.objects.filter(pk=alert.pk).exists()
    client.logout()
    assert client.get(reverse("calls:call_alerts")).status_code == 302  # to sign in
