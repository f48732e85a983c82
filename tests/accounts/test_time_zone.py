"""A person's time zone: defaulted from their organisation's country, chosen on its page (the
browser's offered), used by the pages."""


def test_registering_an_organisation_sets_its_countrys_zone_once(make_user, make_org):
    person = make_user(email="yerevan@example.org")
    make_org(person, country="AM")
    person.refresh_from_db()
    assert person.time_zone == "Asia/Yerevan"
    make_org(person, country="GE")  # a second organisation does not overwrite it
    person.refresh_from_db()
    assert person.time_zone == "Asia/Yerevan"


def test_the_time_zone_page_saves_a_zone_and_refuses_others(client, make_user):
    person = make_user(email="tz@example.org")
    client.force_login(person)
    page = client.get("/account/time-zone/").content.decode()
    assert "data-browser-time-zone" in page and "time-zone.js" in page
    assert client.post("/account/time-zone/", {"time_zone": "Asia/Tbilisi"}).status_code == 302
    person.refresh_from_db()
    assert person.time_zone == "Asia/Tbilisi"
    assert client.post("/account/time-zone/", {"time_zone": "Mars/Olympus"}).status_code == 400
    person.refresh_from_db()
    assert person.time_zone == "Asia/Tbilisi"


def test_the_time_zone_page_needs_a_login(client):
    assert client.get("/account/time-zone/").status_code == 302
