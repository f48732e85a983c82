"""Questions about a call: asked privately, answered and published anonymised in the call's
languages, and a published answer reaches each drafting organisation once."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from applications.call_questions import services
from applications.call_questions.models import CallQuestion
from core.errors import TransitionRefused
from grants.calls.models import Call
from tests.factories import application_in_state, call_full
from workers.models import Notification


@pytest.fixture
def scene(make_user, make_org, grant_role, programme):
    call = call_full(programme, deadline=timezone.now() + timedelta(days=40))
    manager = grant_role(make_user(), programme, "manager")
    asker = make_user()
    make_org(asker)
    drafter = make_user(language="uk")
    application_in_state(call, make_org(drafter), drafter)
    return {"call": call, "manager": manager, "asker": asker, "drafter": drafter}


def test_a_question_is_answered_published_and_reaches_each_drafter_once(client, scene):
    call = scene["call"]
    client.force_login(scene["asker"])
    response = client.post(reverse("call_questions:ask", args=[call.pk]), {"text": "Can a network of two NGOs apply?"})
    assert response.status_code == 302
    question = CallQuestion.objects.get(call=call)
    assert question.asked_by == scene["asker"] and not question.published_at
    assert Notification.objects.filter(kind="call_question_asked", email=scene["manager"].email).exists()
    page = client.get(reverse("applications:call_detail", args=[call.pk])).content.decode()
    assert "Can a network of two NGOs apply?" not in page  # private until answered

    client.force_login(scene["manager"])
    manage = reverse("call_questions:manage", args=[call.pk])
    assert "Can a network of two NGOs apply?" in client.get(manage).content.decode()
    answer = {
        "question": str(question.pk),
        f"q{question.pk}-question": "May networks apply?",
        f"q{question.pk}-answer": "Yes, through one lead organisation.",
        f"q{question.pk}-question_uk": "Чи можуть подаватися мережі?",
        f"q{question.pk}-answer_uk": "Так, через одну провідну організацію.",
        "publish": "1",
    }
    assert client.post(manage, answer).status_code == 302
    question.refresh_from_db()
    assert question.published_at and question.answer_uk == "Так, через одну провідну організацію."
    # A correction of the wording tells nobody again.
    answer[f"q{question.pk}-answer"] = "Yes, through one lead organisation registered in the region."
    answer.pop("publish")
    answer["save"] = "1"
    client.post(manage, answer)
    told = Notification.objects.filter(kind="call_answer_published")
    assert sorted(n.email for n in told) == sorted([scene["drafter"].email, scene["asker"].email])

    client.logout()
    public = client.get(reverse("applications:call_detail", args=[call.pk])).content.decode()
    assert "May networks apply?" in public and "registered in the region" in public
    assert scene["asker"].email not in public and scene["asker"].full_name not in public
    client.cookies["django_language"] = "uk"
    public_uk = client.get(reverse("applications:call_detail", args=[call.pk])).content.decode()
    assert "Чи можуть подаватися мережі?" in public_uk


def test_questions_and_answers_keep_prag_dates(scene):
    call = scene["call"]
    Call.objects.filter(pk=call.pk).update(deadline=timezone.now() + timedelta(days=20))  # inside the 21 days
    with pytest.raises(TransitionRefused) as exc:
        services.call_question_ask(actor=scene["asker"], call_id=call.pk, text="Too late?")
    assert "could be asked until" in str(exc.value.message)
    question = CallQuestion.objects.create(call=call, asked_by=scene["asker"], text="Asked in time")
    Call.objects.filter(pk=call.pk).update(deadline=timezone.now() + timedelta(days=10))  # inside the 11 days
    with pytest.raises(TransitionRefused):
        services.call_question_answer(
            actor=scene["manager"], question_id=question.pk, question="Q", answer="A", publish=True
        )
    assert not CallQuestion.objects.get(pk=question.pk).published_at


def test_bad_input_and_the_wrong_people(client, scene, make_user):
    call = scene["call"]
    with pytest.raises(ValidationError):
        services.call_question_ask(actor=scene["asker"], call_id=call.pk, text="   ")
    question = services.call_question_ask(actor=scene["asker"], call_id=call.pk, text="Fine?")
    with pytest.raises(ValidationError):  # nothing to publish
        services.call_question_answer(actor=scene["manager"], question_id=question.pk, publish=True)
    with pytest.raises(PermissionDenied):
        services.call_question_answer(
            actor=scene["asker"], question_id=question.pk, question="Q", answer="A", publish=True
        )
    client.force_login(scene["asker"])
    assert client.get(reverse("call_questions:manage", args=[call.pk])).status_code == 404
    # A question too long keeps its text for another try.
    client.post(reverse("call_questions:ask", args=[call.pk]), {"text": "x" * 4001})
    page = client.get(reverse("applications:call_detail", args=[call.pk])).content.decode()
    assert "x" * 4001 in page and CallQuestion.objects.filter(call=call).count() == 1
