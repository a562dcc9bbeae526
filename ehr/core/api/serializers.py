"""The one shape in which every endpoint names another record: {"id", "name"}.

A reference is read-only and nested (`"doctor": {"id": "…", "name": "Dr Ana Ruiz"}`);
writes take the bare id. Patients add their MRN (`patients.access.
PatientReferenceSerializer`). The old flat `*_name` fields beside an id are deprecated
aliases kept for one release (docs/api.md says which).
"""

from rest_framework import serializers


def reference_name(obj):
    """Return how a record is named in a reference: a person's full name, else the
    record's `name`, else its string."""
    if hasattr(obj, "get_full_name"):
        return obj.get_full_name()
    if hasattr(obj, "full_name"):
        return obj.full_name
    name = getattr(obj, "name", None)
    return str(name) if name is not None else str(obj)


class ReferenceSerializer(serializers.Serializer):
    """A reference to another record: its id and its name."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, obj) -> str:
        return reference_name(obj)
