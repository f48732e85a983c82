"""Content in every language (django-modeltranslation): the texts page where managers translate a
call side by side, and what a reader of a language with no translation yet sees."""

from django.urls import reverse

from audit.models import AuditEvent
from grants.calls.models import Call, CallState, Question
from tests.factories import call_full


def _manager(make_user, grant_role, programme):
    return grant_role(make_user(), programme, "manager")


def test_a_manager_translates_a_call_side_by_side(client, make_user, grant_role, programme):
    call = call_full(programme, title="Advocacy grants", description="Grants for advocacy.")
    question = call.questions.first()
    client.force_login(_manager(make_user, grant_role, programme))
    url = reverse("calls:call_texts", args=[call.pk])
    page = client.get(url).content.decode()
    # Every text once with its main-language wording, every other language an input, marked missing.
    assert "Advocacy grants" in page and question.text_en in page
    assert f'name="call-{call.pk}-title-uk"' in page and f'name="call-{call.pk}-title-hy"' in page
    assert "Українська" in page and "Հայերեն" in page and "missing" in page
    response = client.post(
        url,
        {
            f"call-{call.pk}-title-uk": "  Гранти на адвокацію ",
            f"question-{question.pk}-text-hy": "Ի՞նչ խնդիր եք լուծում",
        },
    )
    assert response.status_code == 302
    call.refresh_from_db()
    question.refresh_from_db()
    assert call.title_uk == "Гранти на адвокацію" and call.title_en == "Advocacy grants"
    assert question.text_hy == "Ի՞նչ խնդիր եք լուծում"
    event = AuditEvent.objects.get(action="texts_translate", object_id=str(call.pk))
    assert set(event.data["changed"]) == {f"call-{call.pk}-title-uk", f"question-{question.pk}-text-hy"}
    # "Only missing" leaves out the texts every language has.
    only_missing = client.get(url + "?show=missing").content.decode()
    assert f"call-{call.pk}-description-uk" in only_missing


def test_a_translation_too_long_is_refused_on_its_field_and_nothing_is_lost(client, make_user, grant_role, programme):
    call = call_full(programme)
    client.force_login(_manager(make_user, grant_role, programme))
    url = reverse("calls:call_texts", args=[call.pk])
    long = "д" * 201
    page = client.post(url, {f"call-{call.pk}-title-uk": long, f"call-{call.pk}-title-hy": "Կարճ"})
    assert page.status_code == 200
    text = page.content.decode()
    assert long in text and "Կարճ" in text and "at most 200 characters" in text
    call.refresh_from_db()
    assert not call.title_uk and not call.title_hy


def test_only_the_programme_managers_reach_the_texts_pages(client, make_user, grant_role, programme):
    call = call_full(programme)
    outsider = make_user()
    reviewer = grant_role(make_user(), programme, "reviewer")
    for user in (outsider, reviewer):
        client.force_login(user)
        assert client.get(reverse("calls:call_texts", args=[call.pk])).status_code in (403, 404)
        assert client.get(reverse("calls:programme_texts", args=[programme.pk])).status_code in (403, 404)
        client.post(reverse("calls:call_texts", args=[call.pk]), {f"call-{call.pk}-title-uk": "Злам"})
    call.refresh_from_db()
    assert not call.title_uk


def test_a_cancelled_calls_texts_stay_as_they_were(client, make_user, grant_role, programme):
    call = call_full(programme, state=CallState.DRAFT)
    Call.objects.filter(pk=call.pk).update(state=CallState.CANCELLED)
    client.force_login(_manager(make_user, grant_role, programme))
    response = client.post(reverse("calls:call_texts", args=[call.pk]), {f"call-{call.pk}-title-uk": "Нова назва"})
    assert response.status_code == 302
    call.refresh_from_db()
    assert not call.title_uk


def test_a_reader_sees_the_main_language_where_a_translation_is_missing_marked_as_such(client, programme):
    call = call_full(programme, title="Advocacy grants")
    Call.objects.filter(pk=call.pk).update(title_uk="Гранти на адвокацію")
    Question.objects.filter(call=call, position=1).update(text_uk="Яку проблему Ви вирішуєте?")
    client.cookies["django_language"] = "uk"
    page = client.get(reverse("applications:call_detail", args=[call.pk])).content.decode()
    assert "Гранти на адвокацію" in page and "Яку проблему Ви вирішуєте?" in page
    second = Question.objects.get(call=call, position=2)
    assert f'<bdi lang="en">{second.text_en}</bdi>' in page and "не перекладено" in page
    client.cookies["django_language"] = "hy"
    page = client.get(reverse("applications:call_detail", args=[call.pk])).content.decode()
    assert '<bdi lang="en">Advocacy grants</bdi>' in page
