"""A home visit asked for by the family: the source `request` and the services request it
answers (`request_id`, no foreign key: services and screening never import each other;
`actions.home_request`). The column is nullable without a default (no table rewrite); its
partial index holds only the visits of a request."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('screening', '0018_antigen_correction'),
    ]

    operations = [
        migrations.AddField(
            model_name='homevisit',
            name='request_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='homevisit',
            name='source',
            field=models.CharField(choices=[('tags', 'From the registry tags'), ('manual', 'Added by hand'), ('retest', 'Single re-test after a positive pool'), ('resample', 'To sample again: the tube was invalid'), ('request', 'Asked for by the family')], max_length=10),
        ),
        migrations.AddIndex(
            model_name='homevisit',
            index=models.Index(condition=models.Q(('request_id__isnull', False)), fields=['request_id', 'status'], name='home_request_idx'),
        ),
    ]
