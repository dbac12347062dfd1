from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Event",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("type", models.CharField(max_length=32)),
                ("user_id", models.CharField(max_length=64)),
                ("channel_id", models.CharField(max_length=64)),
                ("timestamp", models.DateTimeField(db_index=True)),
            ],
            options={"verbose_name": "event"},
        ),
    ]
