"""Registration at the front desk: an explicit sex, duplicates explained in words, and a
working "search first" on the form."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients import services
from patients.models import Patient, Sex
from patients.selectors import duplicate_candidates
from tests.factories.patients import PatientFactory
from tests.patients.test_views import patient_form_data

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- Sex: an explicit choice ----------------------------------------------------------------


def test_the_model_has_no_default_sex():
    assert not Patient._meta.get_field("sex").has_default()


def test_the_registration_form_preselects_no_sex(signed_in, receptionist):
    response = signed_in(receptionist).get(reverse("patients:patient_create"))
    html = response.content.decode()
    select = re.search(r'<select name="sex".*?</select>', html, re.S).group(0)
    assert 'value="" selected' in select
    assert select.count("selected") == 1
    for value in Sex.values:
        assert f'value="{value}"' in select


def test_registering_without_a_sex_is_a_field_error(signed_in, receptionist):
    response = signed_in(receptionist).post(
        reverse("patients:patient_create"), patient_form_data(sex="")
    )
    assert response.status_code == 400
    assert "sex" in response.context["form"].errors
    assert not Patient.objects.exists()


def test_unknown_is_an_explicit_choice(signed_in, receptionist):
    response = signed_in(receptionist).post(
        reverse("patients:patient_create"), patient_form_data(sex=Sex.UNKNOWN)
    )
    assert response.status_code == 302
    assert Patient.objects.get().sex == Sex.UNKNOWN


def test_the_service_refuses_a_patient_without_a_sex():
    with pytest.raises(ValidationError) as error:
        services.patient_register(
            actor=None, first_name="Ada", last_name="Lovelace", date_of_birth=date(1985, 12, 10)
        )
    assert "sex" in error.value.message_dict


# --- Duplicates explained -------------------------------------------------------------------


def test_a_duplicate_candidate_is_explained_in_words():
    PatientFactory(
        first_name="Peter",
        last_name="Smith",
        date_of_birth=date(1980, 2, 3),
        phone="+12025550108",
    )
    [found] = duplicate_candidates(
        first_name="Zed",
        last_name="Smyth",
        date_of_birth=date(1980, 2, 3),
        phone="(202) 555-0108",
    )
    assert found.explanation == "same date of birth, surname sounds alike, same phone"


def test_identical_names_say_same_rather_than_sounds_alike():
    PatientFactory(
        first_name="Ada", last_name="Lovelace", date_of_birth=date(1985, 12, 10), sex="female"
    )
    [found] = duplicate_candidates(
        first_name="ada",
        last_name="LOVELACE",
        date_of_birth=date(1985, 12, 10),
        sex="female",
        email="",
    )
    assert found.explanation == "same date of birth, same surname, same first name, same sex"


def test_the_registration_page_shows_why_a_record_may_be_the_same_person(signed_in, receptionist):
    PatientFactory(first_name="Ada", last_name="Lovelace", date_of_birth=date(1985, 12, 10))
    response = signed_in(receptionist).post(
        reverse("patients:patient_create"), patient_form_data(first_name="Adah")
    )
    assert response.status_code == 400
    assert "same date of birth, same surname, first name sounds alike" in (
        response.content.decode()
    )


# --- Search first ---------------------------------------------------------------------------


def test_the_registration_form_offers_a_search_that_posts_to_the_patient_search(
    signed_in, receptionist
):
    html = signed_in(receptionist).get(reverse("patients:patient_create")).content.decode()
    assert f'hx-post="{reverse("patients:patient_search")}"' in html
    assert 'role="search"' in html
    # Without JavaScript the same box searches the patient list.
    assert f'action="{reverse("patients:patient_list")}"' in html


def test_the_search_answers_matches_with_links_to_their_charts(signed_in, receptionist):
    ada = PatientFactory(first_name="Ada", last_name="Lovelace", date_of_birth=date(1985, 1, 2))
    PatientFactory(first_name="Charles", last_name="Babbage")
    response = signed_in(receptionist).post(
        reverse("patients:patient_search"), {"q": "lovelace"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{ada.get_absolute_url()}"' in html
    assert ada.display_mrn in html
    assert "Babbage" not in html


def test_the_search_says_when_nothing_matches_and_when_the_term_is_short(signed_in, receptionist):
    client = signed_in(receptionist)
    response = client.post(reverse("patients:patient_search"), {"q": "zzzz"}, **HTMX)
    assert "No patient matches" in response.content.decode()
    response = client.post(reverse("patients:patient_search"), {"q": "z"}, **HTMX)
    assert "at least two" in response.content.decode()


def test_the_search_is_a_post_so_no_name_travels_in_an_address(signed_in, receptionist):
    client = signed_in(receptionist)
    url = reverse("patients:patient_search")
    assert client.get(url + "?q=lovelace").status_code == 405


@pytest.mark.parametrize("persona", ["lab_tech", "pharmacist"])
def test_the_search_is_refused_without_the_demographics_permission(request, signed_in, persona):
    user = request.getfixturevalue(persona)
    response = signed_in(user).post(reverse("patients:patient_search"), {"q": "lovelace"})
    assert response.status_code == 403


def test_the_database_refuses_a_patient_without_a_sex():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        services.patients_bulk_load(
            rows=[{"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": date(1985, 1, 2)}]
        )
