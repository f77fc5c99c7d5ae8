"""A home-sampling request names who of the household is to be sampled at home."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0014_compound_surname_keys'),
        ('services', '0015_line_substitute_price'),
    ]

    operations = [
        migrations.AddField(
            model_name='request',
            name='people',
            field=models.ManyToManyField(blank=True, related_name='+', to='registry.resident', verbose_name='to sample at home'),
        ),
    ]
