"""Notifications written before the fixed categories take the category their old name
means (the notification service maps the same names for callers)."""

from django.db import migrations

OLD_NAMES = {
    "": "general",
    "scheduling": "appointments",
    "privacy": "security",
    "accounts": "security",
}
CATEGORIES = {
    "appointments",
    "results",
    "critical_results",
    "medication",
    "messages",
    "tasks",
    "billing",
    "security",
    "general",
}


def forward(apps, schema_editor):
    Notification = apps.get_model("core", "Notification")
    for old, new in OLD_NAMES.items():
        Notification.objects.filter(category=old).update(category=new)
    Notification.objects.exclude(category__in=CATEGORIES).update(category="general")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_notification_categories_preferences_outbound_messages"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop, elidable=True),
    ]
