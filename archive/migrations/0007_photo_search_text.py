"""Search that works for Korean (docs/search.md): a stored generated column with the compacted descriptive
text, and on PostgreSQL two GIN indexes: pg_trgm on that column (substring search: "서울역" inside "서울역에서",
any spacing) and the English full-text vector of the same fields (stemming: "celebrating" finds "celebrate").

The indexes exist on PostgreSQL only (SQLite has neither GIN nor pg_trgm; its search scans), so they are made
here rather than in Photo.Meta.indexes, which would try to create them on SQLite too."""

import django.db.models.functions.text

import archive.models
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models

SEARCH_FIELDS = ("title", "description", "place", "creator", "identifier", "source", "date_display", "rights")
INDEXES = [
    GinIndex(fields=["search_text"], opclasses=["gin_trgm_ops"], name="photo_search_text_trgm"),
    # The same expression as archive/services/search.py's full_text_vector(), so the planner uses it.
    GinIndex(SearchVector(*SEARCH_FIELDS, config="english"), name="photo_search_fts_english"),
]


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Photo = apps.get_model("archive", "Photo")
    for index in INDEXES:
        schema_editor.add_index(Photo, index)


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Photo = apps.get_model("archive", "Photo")
    for index in INDEXES:
        schema_editor.remove_index(Photo, index)


class Migration(migrations.Migration):

    dependencies = [
        ('archive', '0006_seed_bilingual_vocabularies'),
    ]

    operations = [
        TrigramExtension(),  # CREATE EXTENSION IF NOT EXISTS pg_trgm; nothing on SQLite
        migrations.AddField(
            model_name='photo',
            name='search_text',
            field=models.GeneratedField(db_persist=True, expression=django.db.models.functions.text.Lower(django.db.models.functions.text.Replace(django.db.models.functions.text.Replace(django.db.models.functions.text.Replace(django.db.models.functions.text.Replace(django.db.models.functions.text.Replace(archive.models.JoinText(models.F('title'), models.Value('|'), models.F('description'), models.Value('|'), models.F('place'), models.Value('|'), models.F('creator'), models.Value('|'), models.F('identifier'), models.Value('|'), models.F('source'), models.Value('|'), models.F('date_display'), models.Value('|'), models.F('rights')), models.Value(' '), models.Value(''), output_field=models.TextField()), models.Value('\n'), models.Value(''), output_field=models.TextField()), models.Value('\r'), models.Value(''), output_field=models.TextField()), models.Value('\t'), models.Value(''), output_field=models.TextField()), models.Value('\u3000'), models.Value(''), output_field=models.TextField()), output_field=models.TextField()), output_field=models.TextField()),
        ),
        migrations.RunPython(add_indexes, remove_indexes),
    ]
