"""Photo.date_sort: when a photo was taken, kept by Photo.save(), so that a collection sorts by date in one indexed
ORDER BY instead of sorting every photo in Python and sending the order back as one CASE WHEN per photo."""

from django.conf import settings
from django.db import migrations, models


def fill_date_sort(apps, schema_editor):
    from archive.models import sort_date

    Photo = apps.get_model("archive", "Photo")
    rows = Photo.objects.exclude(date_from=None, date_to=None, date_display="").only(
        "id", "date_from", "date_to", "date_display"
    )
    changed = []
    for photo in rows.iterator(chunk_size=2000):
        photo.date_sort = sort_date(photo.date_from, photo.date_to, photo.date_display)
        changed.append(photo)
        if len(changed) == 2000:
            Photo.objects.bulk_update(changed, ["date_sort"])
            changed = []
    Photo.objects.bulk_update(changed, ["date_sort"])


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0008_audit_entries"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="date_sort",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="photo",
            index=models.Index(fields=["collection", "date_sort", "id"], name="photo_by_date"),
        ),
        migrations.RunPython(fill_date_sort, migrations.RunPython.noop),
    ]
