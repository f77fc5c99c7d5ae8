from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('services', '0009_request_given_confirmed_by'),
    ]

    operations = [
        migrations.AddField(
            model_name='request',
            name='said',
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
