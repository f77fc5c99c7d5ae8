"""A backup's contents count one thing in the singular in English ("1 row, 1 uploaded
file"; the restore command said "Restored 1 tables, 1 rows and 1 files")."""

from django.utils import translation

from fangkong.ops.backup import contents


def test_a_backup_of_one_table_one_row_and_one_file_is_said_in_the_singular():
    manifest = {"tables": {"registry_place": 1}, "media": ["photos/a.jpg"]}
    with translation.override("en"):
        assert contents(manifest) == "1 database table, 1 row, 1 uploaded file"
        assert contents({"tables": {"a": 2, "b": 1000}, "media": []}) == "2 database tables, 1,002 rows, 0 uploaded files"
    with translation.override("zh-hans"):
        assert contents(manifest) == "1 张表、1 行、1 个上传文件"
