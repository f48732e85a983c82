"""Copy a call: the next round starts as a draft with the earlier call's terms and template."""

from django.urls import reverse

from audit.models import AuditEvent
from grants.calls.models import Call, CallState, Criterion, Question
from tests.factories import call_full


def test_a_manager_copies_a_call_with_its_template_and_texts(client, make_user, grant_role, programme):
    source = call_full(programme, code="adv", state=CallState.OPEN)
    Call.objects.filter(pk=source.pk).update(title_uk="Гранти на адвокацію")
    Question.objects.filter(call=source, position=1).update(text_uk="Яку проблему Ви вирішуєте?")
    manager = grant_role(make_user(), programme, "manager")
    client.force_login(manager)
    page = client.get(reverse("applications:call_manage", args=[source.pk])).content.decode()
    assert "Copy this call" in page
    response = client.post(reverse("calls:call_copy", args=[source.pk]), {"code": "adv-2027"})
    copy = Call.objects.get(programme=programme, code="adv-2027")
    assert response.status_code == 302 and response.url == reverse("applications:call_manage", args=[copy.pk])
    assert copy.state == CallState.DRAFT and copy.awarded_total == 0 and copy.title_uk == "Гранти на адвокацію"
    assert copy.envelope == source.envelope and copy.max_grant == source.max_grant
    assert list(copy.questions.values_list("text_en", "text_uk")) == list(
        source.questions.values_list("text_en", "text_uk")
    )
    for part in ("budget_headings", "required_documents", "tranche_plan"):
        assert getattr(copy, part).count() == getattr(source, part).count() > 0
    assert Criterion.objects.filter(call=copy).count() == Criterion.objects.filter(call=source).count()
    assert AuditEvent.objects.filter(action="call_copy", object_id=str(copy.pk)).exists()
    # The same code twice is refused with a message; nothing is created.
    again = client.post(reverse("calls:call_copy", args=[source.pk]), {"code": "adv-2027"}, follow=True)
    assert "already has a call with this code" in again.content.decode()
    assert Call.objects.filter(programme=programme).count() == 2


def test_only_the_programmes_managers_copy_its_calls(client, make_user, programme):
    source = call_full(programme, code="adv")
    client.force_login(make_user())
    client.post(reverse("calls:call_copy", args=[source.pk]), {"code": "mine"})
    assert not Call.objects.filter(code="mine").exists()
