"""Template helpers of the patients pages: the rows of the patient list.

The rows are built here rather than by the template engine (as the arrivals rows are, in
`scheduling_tags`): 25 rows, each a link, badges and six cells, were most of the list's
rendering time. The URL is reversed once per call, labels translated once per call, and
every value goes through html.escape (quotes included).
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from patients.models import Patient

register = template.Library()

PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


@register.simple_tag
def patient_rows(patients):
    """Render the patient list's `<tr>` rows of `patients`."""
    detail = reverse("patients:patient_detail", args=[PLACEHOLDER])
    sexes = {
        value: escape(str(label)) for value, label in Patient._meta.get_field("sex").flatchoices
    }
    # Each badge after a space, as the template laid out the link and its badges.
    deceased = (
        f' <span class="badge status-badge status-deceased">{escape(gettext("Deceased"))}</span>'
    )
    merged = f' <span class="badge status-badge status-merged">{escape(gettext("Merged"))}</span>'
    inactive = (
        f' <span class="badge status-badge status-inactive">{escape(gettext("Inactive"))}</span>'
    )
    no_phone = '<span class="text-body-secondary">—</span>'
    html = []
    for patient in patients:
        name = f"{escape(patient.last_name.upper())}, {escape(patient.first_name)}"
        if patient.middle_name:
            name += f" {escape(patient.middle_name)}"
        badges = deceased if patient.is_deceased else ""
        if patient.merged_into_id:
            badges += merged
        elif not patient.is_active:
            badges += inactive
        born = patient.date_of_birth.isoformat()
        muted = ' class="is-muted"' if not patient.is_active or patient.is_deceased else ""
        url = detail.replace(PLACEHOLDER, escape(str(patient.pk)))
        html.append(
            f"<tr{muted}>"
            f'<td class="patient-mrn text-nowrap">{escape(patient.display_mrn)}</td>'
            f'<th scope="row"><a class="patient-link" href="{url}">{name}</a>{badges}</th>'
            f'<td class="text-nowrap"><time datetime="{born}">{born}</time></td>'
            f'<td class="text-nowrap">{escape(patient.age_display)}</td>'
            f"<td>{sexes.get(patient.sex, escape(str(patient.sex)))}</td>"
            f'<td class="text-nowrap">{escape(patient.phone_display or "") or no_phone}</td>'
            "</tr>"
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped
