"""The operations page says first whether all is well, and what is wrong in words: the last
backup and its age (read from what `manage.py backup` writes), jobs scheduled for later
told apart from stuck ones, failed jobs linked to their list (found walking the demo: /ops/
said nothing about backups and gave no verdict; the backup's summary read "(sqlite, sqlite,
5.3 MB)")."""

import datetime
import io
import json
import re
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from fangkong.core import replica
from fangkong.ops.models import WorkerBeat
from tests.ops.test_backup import recorded_migrations  # noqa: F401 (fixture: a backup lists them)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(django_user_model, monkeypatch, settings, tmp_path):
    monkeypatch.setattr(replica, "configured", lambda: False)
    settings.VAR_DIR = tmp_path / "var"
    admin = django_user_model.objects.create_superuser("ops-admin", password="x-Long-pass-9")
    c = Client()
    c.force_login(admin)

    def page(html=False) -> str:
        r = c.get("/ops/")
        assert r.status_code == 200
        return r.content.decode() if html else " ".join(re.sub(r"<[^>]+>", " ", r.content.decode()).split())
    return page


def old_archive(folder: Path, days: int):
    """An archive as `manage.py backup` writes it (manifest first), made `days` ago."""
    folder.mkdir(parents=True, exist_ok=True)
    at = timezone.now() - datetime.timedelta(days=days)
    data = json.dumps({"format": 1, "created_at": at.isoformat(), "vendor": "sqlite",
                       "method": "sqlite", "tables": {"a": 3, "b": 4}, "media": ["x.png"]}).encode()
    with tarfile.open(folder / "fangkong-old.tar", "w") as tar:
        info = tarfile.TarInfo("fangkong-backup/manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def task(status, *, run_after=None, enqueued_ago=0, finished_ago=None):
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    t = DBTaskResult.objects.create(
        status=status, args_kwargs={"args": [], "kwargs": {}}, priority=0,
        task_path="fangkong.notify.tasks.send_due_task", queue_name="default",
        backend_name="default", run_after=run_after or get_date_max(),
        exception_class_path="fangkong.ops.recovery.WorkerLost" if status == "FAILED" else "",
        traceback="", finished_at=now - datetime.timedelta(minutes=finished_ago) if finished_ago else None)
    DBTaskResult.objects.filter(pk=t.pk).update(enqueued_at=now - datetime.timedelta(minutes=enqueued_ago))
    return t


@pytest.mark.django_db(transaction=True)  # a backup reads the database from outside the test's transaction
@pytest.mark.usefixtures("recorded_migrations")
def test_no_backup_is_said_first_then_a_fresh_one_reads_all_well(ops, settings):
    text = ops()
    assert "有 1 项需要处理" in text and "中没有备份：请运行 manage.py backup" in text
    call_command("backup", stdout=io.StringIO())  # into var/backups, as the timer does
    text = ops()
    assert "一切正常。" in text and "需要处理" not in text
    assert re.search(r"上次备份 · \d{4}-\d\d-\d\d \d\d:\d\d", text), text
    assert "张表" in text and "个上传文件" in text and "fangkong-" in text


def test_an_old_backup_is_a_problem(ops, settings):
    old_archive(Path(settings.VAR_DIR) / "backups", days=3)
    text = ops()
    assert "上次备份已过去 3" in text and "请检查 fangkong-backup.timer" in text, text
    assert "过旧" in text and "2 张表、7 行、1 个上传文件" in text


def test_jobs_scheduled_for_later_are_not_stuck_and_failed_ones_link_to_their_list(ops, settings):
    old_archive(Path(settings.VAR_DIR) / "backups", days=0)
    task("READY", run_after=timezone.now() + datetime.timedelta(hours=2))
    text = ops()
    assert "一切正常。" in text, text  # waiting for its time, no worker needed yet
    assert "定时稍后执行 · 1" in text and "不是卡住，而是在等到点" in text
    task("READY", enqueued_ago=20)  # due 20 minutes ago, and no worker
    text = ops()
    assert "没有后台进程在运行：1 个任务在等待。" in text
    WorkerBeat.objects.create(runner="h|1|x", host="h", pid=1)
    text = ops()
    assert "1 个任务超时未执行：最早的已等待 20 分钟。" in text
    failed = task("FAILED", enqueued_ago=90, finished_ago=60)
    html = ops(html=True)
    assert "最近 24 小时有 1 个任务失败。" in html
    assert 'href="/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED"' in html
    assert f'href="/admin/django_tasks_database/dbtaskresult/{failed.pk}/change/"' in html
    assert "WorkerLost" in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("recorded_migrations")
def test_the_backup_command_says_what_it_wrote_in_words(tmp_path):
    out = io.StringIO()
    call_command("backup", str(tmp_path / "b.tar"), stdout=out)
    text = out.getvalue()
    assert "sqlite, sqlite" not in text and "postgresql, " not in text
    assert re.search(r"b\.tar：\d+\.\d MB — \d+ 张表、[\d,]+ 行、\d+ 个上传文件；(SQLite|PostgreSQL) 数据库", text), text
    with translation.override("en"):
        out = io.StringIO()
        call_command("backup", str(tmp_path / "c.tar"), stdout=out)
    assert re.search(r"c\.tar: \d+\.\d MB — \d+ database tables, [\d,]+ rows, \d+ uploaded files?; the "
                     r"(SQLite database, copied by SQLite's online backup|PostgreSQL database)", out.getvalue())
