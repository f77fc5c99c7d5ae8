from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0012_followup_overdue_told'),
    ]

    operations = [
        migrations.AddField(
            model_name='round',
            name='overrun_told_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
