"""The one shape in which every endpoint names another record: {"id", "name"}.

A reference is nested in responses (`"doctor": {"id": "…", "name": "Dr Ana Ruiz"}`);
writes take the bare id: `ReferenceField` does both on one field name. Patients add
their MRN (`patients.access.PatientReferenceSerializer`). The old flat `*_name` fields
beside an id are deprecated aliases kept for one release (docs/api.md says which).
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
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


class ReferenceField(serializers.PrimaryKeyRelatedField):
    """A reference to another record: written as its id, read as `{"id", "name"}` (or the
    shape of `reference_serializer`, e.g. a patient's with its MRN)."""

    def __init__(self, *, reference_serializer=ReferenceSerializer, **kwargs):
        self.reference_serializer = reference_serializer
        super().__init__(**kwargs)

    def use_pk_only_optimization(self):
        return False

    def to_representation(self, value):
        return self.reference_serializer(value, context=self.context).data


class ReferenceFieldExtension(OpenApiSerializerFieldExtension):
    """Document a ReferenceField as an id in requests and a reference in responses."""

    target_class = ReferenceField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.UUID)
        return auto_schema.resolve_serializer(self.target.reference_serializer, direction).ref
