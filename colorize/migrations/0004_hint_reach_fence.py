from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("colorize", "0003_review_replaced_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="hint",
            name="reach",
            field=models.CharField(
                choices=[("object", "this object"), ("region", "this region"), ("wide", "wide")],
                default="wide",
                help_text="how far the colour spreads",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="hint",
            name="shape",
            field=models.CharField(
                choices=[("point", "point"), ("stroke", "brush stroke"), ("fence", "fence")],
                default="point",
                max_length=10,
            ),
        ),
    ]
