from django.db import migrations

ERAS = [
    ("korean-empire", "Korean Empire", 1897, 1910),
    ("japanese-occupation", "Japanese occupation", 1910, 1945),
    ("liberation", "Liberation", 1945, 1948),
    ("first-republic", "First Republic (1948–1950)", 1948, 1950),
    ("korean-war", "Korean War", 1950, 1953),
    ("post-war", "Post-war", 1953, 1960),
    ("1860s", "1860s", 1860, 1869),
    ("1870s", "1870s", 1870, 1879),
    ("1880s", "1880s", 1880, 1889),
    ("1890s", "1890s", 1890, 1899),
    ("1960s", "1960s", 1960, 1969),
    ("1970s", "1970s", 1970, 1979),
    ("1980s", "1980s", 1980, 1989),
    ("1990s", "1990s", 1990, 1999),
]

SITUATIONS = [
    ("war", "War"),
    ("liberation", "Liberation"),
    ("protest", "Protest"),
    ("ceremony", "Ceremony"),
    ("daily-life", "Daily life"),
    ("portrait", "Portrait"),
    ("street", "Street"),
    ("rural", "Rural"),
    ("industry", "Industry"),
    ("disaster", "Disaster"),
]


def seed(apps, schema_editor):
    Era = apps.get_model("archive", "Era")
    Situation = apps.get_model("archive", "Situation")
    ordered = sorted(ERAS, key=lambda e: (e[2], e[3]))
    for order, (slug, name, year_from, year_to) in enumerate(ordered):
        Era.objects.update_or_create(
            slug=slug, defaults={"name": name, "year_from": year_from, "year_to": year_to, "order": order}
        )
    for slug, name in SITUATIONS:
        Situation.objects.update_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
