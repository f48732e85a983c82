"""A grant's thread: the grantee's members, the programme's managers and finance officers write
in it; a payment appears in it as an event; donors and outsiders get 404, and finance officers
never see the application's own thread."""

from datetime import date

from applications.conversations.models import Message
from applications.conversations.services import message_post
from grants.disbursement import services as disbursement_services
from workers.models import Notification


def test_grantee_and_finance_exchange_messages(client, people, signed, approved_first):
    url = f"/grants/{signed.pk}/messages/"
    client.force_login(people.grantee)
    assert client.post(url, {"body": "When will the first tranche arrive?"}).status_code == 302
    assert Notification.objects.filter(kind="thread_message", email=people.finance.email).exists()
    client.force_login(people.finance)
    page = client.get(url).content.decode()
    assert "When will the first tranche arrive?" in page
    assert client.post(url, {"body": "This week; the bank reference follows."}).status_code == 302
    tranche = approved_first
    disbursement_services.payment_record(
        actor=people.finance,
        tranche_id=tranche.pk,
        paid_on=date.today(),
        amount=tranche.due_amount,
        currency=signed.currency,
        bank_reference="BANK-1",
    )
    client.force_login(people.grantee)
    page = client.get(url).content.decode()
    assert "This week; the bank reference follows." in page and "Payment made" in page and "Tranche 1:" in page
    assert Message.objects.filter(event="payment_recorded", thread__scope="grant").count() == 1


def test_donors_outsiders_and_finance_on_the_application_thread_get_404(client, people, signed):
    message_post(actor=people.grantee, application_id=signed.application_id, scope="grant", body="Hello")
    for user in (people.donor, people.outsider):
        client.force_login(user)
        assert client.get(f"/grants/{signed.pk}/messages/").status_code == 404
        assert client.get(f"/api/v1/grants/{signed.pk}/messages/").status_code == 404
    client.force_login(people.finance)
    assert client.get(f"/applications/{signed.application_id}/messages/").status_code == 404
    assert client.get(f"/api/v1/grants/{signed.pk}/messages/").json()["results"][0]["body"] == "Hello"
