from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ehr.core.exceptions import DomainPermissionDenied, InvalidTransition
from ehr.core.models import Notification
from laboratory import services
from laboratory.exceptions import (
    AccessionNotFound,
    InvalidResultValue,
    NoTests,
    ReasonRequired,
    SameUser,
)
from laboratory.models import (
    CriticalAlert,
    LabOrderStatus,
    LabResult,
    LabResultStatus,
)
from patients.models import luhn_is_valid
from tests.factories.laboratory import lab_test

pytestmark = pytest.mark.django_db


@pytest.fixture
def bmp_order(catalogue, doctor, adult_man):
    return services.lab_order_create(
        patient=adult_man, actor=doctor, tests=[lab_test("BMP")], priority="stat"
    )


def _to_received(order, nurse, lab_tech):
    specimen = services.lab_order_collect(order=order, actor=nurse)
    services.lab_order_receive(accession_number=specimen.accession_number, actor=lab_tech)
    order.refresh_from_db()
    return specimen


NORMAL = {"NA": "140", "K": "4.2", "CL": "100", "CO2": "25", "BUN": "12", "CREA": "0.9"}
NORMAL |= {"GLU": "90", "CA": "9.5"}


def _values(order, **by_code):
    return {
        line.pk: by_code.get(line.test.code, NORMAL.get(line.test.code, "1"))
        for line in order.results.select_related("test").exclude(status="corrected")
    }


def test_an_order_expands_a_panel_into_its_members_and_logs_ordered(bmp_order):
    codes = sorted(bmp_order.results.values_list("test__code", flat=True))
    assert codes == sorted(["NA", "K", "CL", "CO2", "BUN", "CREA", "GLU", "CA"])
    assert bmp_order.status == LabOrderStatus.ORDERED
    assert bmp_order.status_changes.get().to_status == "ordered"


def test_a_test_in_two_ordered_panels_gets_one_line(catalogue, doctor, adult_man):
    order = services.lab_order_create(
        patient=adult_man, actor=doctor, tests=[lab_test("BMP"), lab_test("CMP")]
    )
    assert order.results.filter(test__code="K").count() == 1
    assert order.results.count() == 14


def test_only_doctors_order_and_an_order_needs_a_test(catalogue, nurse, doctor, adult_man):
    from accounts.exceptions import NotADoctor

    with pytest.raises(NotADoctor):
        services.lab_order_create(patient=adult_man, actor=nurse, tests=[lab_test("K")])
    with pytest.raises(NoTests):
        services.lab_order_create(patient=adult_man, actor=doctor, tests=[])


def test_collection_gives_an_accession_number_with_a_check_digit(bmp_order, nurse):
    specimen = services.lab_order_collect(order=bmp_order, actor=nurse)
    assert luhn_is_valid(specimen.accession_number)
    assert len(specimen.accession_number) == 8
    bmp_order.refresh_from_db()
    assert bmp_order.status == "collected" and bmp_order.collected_at is not None
    assert services.accession_next() != services.accession_next()


def test_receiving_by_an_unknown_accession_number_is_a_field_error(bmp_order, lab_tech):
    with pytest.raises(AccessionNotFound):
        services.lab_order_receive(accession_number="99999999", actor=lab_tech)


def test_transitions_out_of_order_are_refused(bmp_order, lab_tech, lab_tech2):
    with pytest.raises(InvalidTransition):
        services.lab_results_enter(order=bmp_order, actor=lab_tech, values=_values(bmp_order))
    with pytest.raises(InvalidTransition):
        services.lab_order_verify(order=bmp_order, actor=lab_tech2)


def test_each_state_is_time_stamped_along_the_whole_path(bmp_order, nurse, lab_tech, lab_tech2):
    _to_received(bmp_order, nurse, lab_tech)
    services.lab_results_enter(order=bmp_order, actor=lab_tech, values=_values(bmp_order))
    services.lab_order_verify(order=bmp_order, actor=lab_tech2)
    bmp_order.refresh_from_db()
    assert bmp_order.status == "verified"
    for stamp in ("collected_at", "received_at", "in_progress_at", "resulted_at", "verified_at"):
        assert getattr(bmp_order, stamp) is not None
    assert list(bmp_order.status_changes.values_list("to_status", flat=True)) == [
        "ordered", "collected", "received", "in_progress", "resulted", "verified",
    ]  # fmt: skip


def test_potassium_6_8_is_critical_and_a_second_person_verifies(
    bmp_order, nurse, lab_tech, lab_tech2, doctor
):
    _to_received(bmp_order, nurse, lab_tech)
    services.lab_results_enter(order=bmp_order, actor=lab_tech, values=_values(bmp_order, K="6.8"))
    potassium = bmp_order.results.get(test__code="K")
    assert potassium.flag == "critical_high"
    assert potassium.reference_range == "3.5–5.1"
    assert potassium.status == LabResultStatus.PRELIMINARY
    with pytest.raises(SameUser):
        services.lab_order_verify(order=bmp_order, actor=lab_tech)
    services.lab_order_verify(order=bmp_order, actor=lab_tech2)
    potassium.refresh_from_db()
    assert potassium.status == "final" and potassium.verified_by == lab_tech2
    alert = CriticalAlert.objects.get(result=potassium)
    assert alert.doctor == doctor and alert.status == "open"
    notification = Notification.objects.get(recipient=doctor, category="critical_results")
    assert notification.level == "critical"


def test_the_database_refuses_verification_by_the_person_who_entered(bmp_order, nurse, lab_tech):
    _to_received(bmp_order, nurse, lab_tech)
    services.lab_results_enter(order=bmp_order, actor=lab_tech, values=_values(bmp_order))
    line = bmp_order.results.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        LabResult.objects.filter(pk=line.pk).update(
            verified_by=lab_tech, verified_at=timezone.now(), status="final"
        )


def test_without_verify_permission_verification_is_refused(bmp_order, nurse, lab_tech, doctor):
    _to_received(bmp_order, nurse, lab_tech)
    services.lab_results_enter(order=bmp_order, actor=lab_tech, values=_values(bmp_order))
    with pytest.raises(DomainPermissionDenied):
        services.lab_order_verify(order=bmp_order, actor=doctor)


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [("K", "abc", "number"), ("K", "-1", "negative"), ("UPRO", "purple", "Choose one")],
)
def test_impossible_input_is_a_field_error(
    catalogue, doctor, adult_man, nurse, lab_tech, code, value, message
):
    order = services.lab_order_create(patient=adult_man, actor=doctor, tests=[lab_test(code)])
    _to_received(order, nurse, lab_tech)
    line = order.results.get()
    with pytest.raises(InvalidResultValue) as exc:
        services.lab_results_enter(order=order, actor=lab_tech, values={line.pk: value})
    assert f"value_{line.pk}" in exc.value.error_dict
    assert message in str(exc.value)


def test_a_child_is_flagged_against_the_childs_range(
    catalogue, doctor, child, adult_man, nurse, lab_tech
):
    # Alkaline phosphatase 300 U/L: normal for an 8-year-old, high for an adult.
    flags = {}
    for patient in (child, adult_man):
        order = services.lab_order_create(patient=patient, actor=doctor, tests=[lab_test("ALP")])
        _to_received(order, nurse, lab_tech)
        line = order.results.get()
        services.lab_results_enter(order=order, actor=lab_tech, values={line.pk: "300"})
        line.refresh_from_db()
        flags[patient.pk] = (line.flag, line.reference_range)
    assert flags[child.pk] == ("normal", "100–390")
    assert flags[adult_man.pk] == ("high", "44–147")


def test_ranges_by_sex_haemoglobin_12_8(catalogue, doctor, adult_man, nurse, lab_tech):
    from tests.factories.patients import PatientFactory

    woman = PatientFactory(sex="female", date_of_birth=adult_man.date_of_birth)
    flags = []
    for patient in (adult_man, woman):
        order = services.lab_order_create(patient=patient, actor=doctor, tests=[lab_test("HGB")])
        _to_received(order, nurse, lab_tech)
        line = order.results.get()
        services.lab_results_enter(order=order, actor=lab_tech, values={line.pk: "12.8"})
        line.refresh_from_db()
        flags.append(line.flag)
    assert flags == ["low", "normal"]


def test_coded_abnormal_value_is_flagged(catalogue, doctor, adult_man, nurse, lab_tech):
    order = services.lab_order_create(patient=adult_man, actor=doctor, tests=[lab_test("UNIT")])
    _to_received(order, nurse, lab_tech)
    line = order.results.get()
    services.lab_results_enter(order=order, actor=lab_tech, values={line.pk: "Positive"})
    line.refresh_from_db()
    assert (line.value_text, line.flag) == ("positive", "abnormal")


def test_delta_check_marks_a_large_change_for_review(
    catalogue, doctor, adult_man, nurse, lab_tech, lab_tech2
):
    results = []
    for value in ("4.0", "5.0", "5.2"):
        order = services.lab_order_create(patient=adult_man, actor=doctor, tests=[lab_test("K")])
        _to_received(order, nurse, lab_tech)
        line = order.results.get()
        services.lab_results_enter(order=order, actor=lab_tech, values={line.pk: value})
        services.lab_order_verify(order=order, actor=lab_tech2)
        line.refresh_from_db()
        results.append((line.delta_flag, line.previous_value))
    # K's delta limit is 20 %: 4.0 → 5.0 is 25 %, 5.0 → 5.2 is 4 %.
    assert results == [(False, None), (True, Decimal("4.0")), (False, Decimal("5.0"))]


def test_a_correction_is_a_new_version_and_notifies_the_doctor(
    catalogue, doctor, adult_man, nurse, lab_tech, lab_tech2
):
    order = services.lab_order_create(patient=adult_man, actor=doctor, tests=[lab_test("NA")])
    _to_received(order, nurse, lab_tech)
    line = order.results.get()
    services.lab_results_enter(order=order, actor=lab_tech, values={line.pk: "128"})
    services.lab_order_verify(order=order, actor=lab_tech2)
    with pytest.raises(ReasonRequired):
        services.lab_result_correct(result=line, actor=lab_tech2, value="138", reason="")
    with pytest.raises(SameUser):
        services.lab_result_correct(result=line, actor=lab_tech, value="138", reason="typo")
    new = services.lab_result_correct(
        result=line, actor=lab_tech2, value="138", reason="Transcription error"
    )
    line.refresh_from_db()
    assert line.status == "corrected" and line.corrected_by == new
    assert (new.version, new.flag, new.status) == (2, "normal", "final")
    assert Notification.objects.filter(recipient=doctor, title__icontains="corrected").exists()


def test_rejection_needs_a_listed_reason_and_asks_for_a_new_collection(bmp_order, nurse, lab_tech):
    first = _to_received(bmp_order, nurse, lab_tech)
    with pytest.raises(ReasonRequired):
        services.lab_order_reject(order=bmp_order, actor=lab_tech, reason="")
    with pytest.raises(ReasonRequired):
        services.lab_order_reject(order=bmp_order, actor=lab_tech, reason="bad vibes")
    services.lab_order_reject(order=bmp_order, actor=lab_tech, reason="haemolysed")
    bmp_order.refresh_from_db()
    assert bmp_order.status == "rejected" and bmp_order.rejected_at is not None
    second = services.lab_order_collect(order=bmp_order, actor=nurse)
    assert second.accession_number != first.accession_number
    with pytest.raises(AccessionNotFound):
        services.lab_order_receive(accession_number=first.accession_number, actor=lab_tech)
    services.lab_order_receive(accession_number=second.accession_number, actor=lab_tech)


def test_cancel_needs_a_reason_and_ends_the_order(bmp_order, doctor, nurse):
    with pytest.raises(ReasonRequired):
        services.lab_order_cancel(order=bmp_order, actor=doctor, reason=" ")
    services.lab_order_cancel(order=bmp_order, actor=doctor, reason="Duplicate order")
    with pytest.raises(InvalidTransition):
        services.lab_order_collect(order=bmp_order, actor=nurse)


def test_a_stat_order_past_its_target_is_late(bmp_order):
    assert not bmp_order.is_late()
    assert bmp_order.is_late(now=bmp_order.ordered_at + timedelta(minutes=61))
