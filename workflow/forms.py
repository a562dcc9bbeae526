from django import forms
from django.utils.translation import gettext_lazy as _

from patients.selectors import patients_on_care_team_of
from workflow.models import Priority, Task
from workflow.selectors import assignable_groups, assignable_users


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=Task._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    assignee_group = forms.ModelChoiceField(
        label=_("Role"), queryset=None, required=False, empty_label=_("— no role —")
    )
    assignee_user = forms.ModelChoiceField(
        label=_("Person"), queryset=None, required=False, empty_label=_("— nobody in particular —")
    )
    patient = forms.ModelChoiceField(
        label=_("Patient"),
        queryset=None,
        required=False,
        empty_label=_("— none —"),
        help_text=_("Only patients whose chart you may open."),
    )
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority, initial=Priority.NORMAL)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee_group"].queryset = assignable_groups()
        self.fields["assignee_user"].queryset = assignable_users()
        self.fields["assignee_user"].label_from_instance = lambda u: (
            u.get_full_name() or u.get_username()
        )
        self.fields["patient"].queryset = patients_on_care_team_of(user).order_by(
            "last_name", "first_name"
        )

    def clean(self):
        data = super().clean()
        if not data.get("assignee_user") and not data.get("assignee_group"):
            self.add_error("assignee_group", _("Assign the task to a person or a role."))
        return data


class TaskTransitionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)
