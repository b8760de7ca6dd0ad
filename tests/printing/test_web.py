"""The printing pages and the embedded default (spool folder, no CUPS), end to end through the worker's dispatcher."""

from __future__ import annotations

import json

from sqlalchemy import select

import demo
from core import org
from core.models import PrintJob
from core.models.files import ArchiveFile
from printing import service
from printing.dispatcher import Dispatcher
from tests.printing.jobs import A3_SIZE, make_pdf, post_print
from tests.support.app import settings_env


def test_print_page_shows_decision_and_spool_prints_it(client, auth, settings, db):
    auth.login("lz_staff")
    html = client.get("/printing/").get_data(as_text=True)
    assert "打印文件" in html and "我的打印作业" in html and "<svg" in html
    html = post_print(client, auth, make_pdf(2)).get_data(as_text=True)
    assert "送林政资源管理处打印机" in html and "部门打印默认双面、黑白" in html  # the printer's name, not dept-lzc
    with db.session() as s:
        job = s.scalar(select(PrintJob))
        assert job.state == "queued" and job.username == "lz_staff"
    Dispatcher(settings, db).tick()
    spooled = settings.spool_dir / "dept-lzc"
    description = json.loads((spooled / f"{job.id}.json").read_text(encoding="utf-8"))
    assert description["user"] == "lz_staff" and description["options"]["sides"] == "two-sided-long-edge"
    assert (spooled / f"{job.id}.pdf").read_bytes()[:5] == b"%PDF-"
    Dispatcher(settings, db).tick()
    rows = client.get("/printing/jobs").get_data(as_text=True)
    assert 'data-state="completed"' in rows and "已完成" in rows


def test_spool_holds_central_jobs_until_the_operator_releases(client, auth, settings, db):
    auth.login("lz_staff")
    html = post_print(client, auth, make_pdf(1, A3_SIZE), "drawing.pdf").get_data(as_text=True)
    assert "送文印室 1 号机" in html and "大于 A4" in html
    disp = Dispatcher(settings, db)
    disp.tick()
    with db.session() as s:
        job = s.scalar(select(PrintJob))
        assert job.state == "held"
    auth.logout()
    auth.login("printroom")
    console = client.get("/printing/console").get_data(as_text=True)
    assert "drawing" in console and "陈晓明" in console and "林政资源管理处" in console and "A3" in console
    assert 'data-autoreload="20"' in console
    bell = client.get("/notifications/").get_data(as_text=True)
    assert "文印室待放行：drawing" in bell  # the operator was told of the new held job
    preview = client.get(f"/printing/console/{job.id}/preview.pdf")
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF")
    preview.close()
    token = auth.csrf("/printing/console")
    html = client.post(f"/printing/console/{job.id}/release", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "已放行" in html
    disp.tick()
    disp.tick()
    with db.session() as s:
        job = s.get(PrintJob, job.id)
        assert job.state == "completed" and job.released_by == "printroom"
    data = json.loads((settings.spool_dir / "wys-room-1" / f"{job.id}.json").read_text(encoding="utf-8"))
    assert data["state"] == 9 and data["released_by"] == "lz_staff"


def test_bad_files_are_refused_with_a_clear_message(client, auth):
    auth.login("lz_staff")
    html = post_print(client, auth, b"MZ\x90\x00", "virus.exe").get_data(as_text=True)
    assert "只能打印 PDF、Word（.docx）和文本（.txt）文件" in html
    html = post_print(client, auth, b"not a pdf at all", "broken.pdf").get_data(as_text=True)
    assert "无法读取该 PDF 文件" in html
    html = post_print(client, auth, make_pdf(2), page_ranges="5-7").get_data(as_text=True)
    assert "页码范围" in html and "共 2 页" in html


def test_text_file_is_typeset_and_printed(client, auth, settings, db):
    auth.login("lz_staff")
    text = "关于森林防火的通知\n" + "各处室：请做好检查。\n" * 80
    post_print(client, auth, text.encode("gb18030"), "通知.txt")
    with db.session() as s:
        job = s.scalar(select(PrintJob))
        assert job.state == "queued" and job.pages and job.pages >= 2 and job.media == "A4"


def test_cancel_own_queued_job(client, auth, db):
    auth.login("lz_staff")
    post_print(client, auth, make_pdf(1))
    with db.session() as s:
        job_id = s.scalar(select(PrintJob.id))
    html = client.post(f"/printing/jobs/{job_id}/cancel", data={"csrf_token": auth.csrf("/printing/")},
                       follow_redirects=True).get_data(as_text=True)
    assert "已取消" in html
    with db.session() as s:
        assert s.get(PrintJob, job_id).state == "cancelled"


def test_console_and_printers_pages_need_their_permissions(client, auth):
    auth.login("lz_staff")
    assert client.get("/printing/console").status_code == 403
    assert client.get("/printing/printers").status_code == 403
    auth.logout()
    auth.login("admin")
    assert client.get("/printing/printers").status_code == 200
    assert client.get("/printing/console").status_code == 200


def test_printers_page_and_csv_accounting(client, auth, settings, db):
    auth.login("lz_staff")
    post_print(client, auth, make_pdf(3), copies="2")
    disp = Dispatcher(settings, db)
    disp.tick()
    disp.tick()
    csv_text = client.get("/printing/usage.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeff月份,部门") and "LZC,lz_staff,陈晓明,黑白,A4,1,6" in csv_text
    auth.logout()
    auth.login("admin")
    html = client.get("/printing/printers").get_data(as_text=True)
    assert "dept-lzc" in html and "空闲" in html and "陈晓明" in html
    with db.session() as s:
        series = service.monthly_series(s, department_id=org.department_by_code(s, "LZC").id)
        assert series[-1][1] == 6


def test_print_an_archive_file(client, auth, settings, db):
    demo.place_archive_files(settings.archive_dir)
    with db.session() as s:
        lzc = org.department_by_code(s, "LZC")
        record = ArchiveFile(relpath="LZC/2024/机关工作经验材料（GBK编码）.txt", name="机关工作经验材料（GBK编码）.txt",
                             title="机关工作经验材料", kind="txt", department_id=lzc.id, classification=1)
        s.add(record)
        s.flush()
        file_id = record.id
    auth.login("lz_staff")
    html = client.get(f"/printing/?archive_file={file_id}").get_data(as_text=True)
    assert "机关工作经验材料" in html and f'value="{file_id}"' in html
    token = auth.csrf("/printing/")
    html = client.post("/printing/", data={"csrf_token": token, "archive_file": str(file_id), "media": "auto",
                                           "copies": "1", "quality": "normal", "classification": "1"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已提交《机关工作经验材料》" in html
    with db.session() as s:
        job = s.scalar(select(PrintJob))
        assert job.source_kind == "archive" and job.tier == "department"
    auth.logout()
    auth.login("zl_staff")  # another department: may not see, so may not print
    html = client.get(f"/printing/?archive_file={file_id}").get_data(as_text=True)
    assert "无权查看" in html


def test_request_print_from_a_workflow_document(settings, db, tmp_path):
    path = tmp_path / "发文.pdf"
    path.write_bytes(make_pdf(1))
    with db.session() as s:
        user = org.user_by_username(s, "clerk")
        job = service.request_print(s, settings, user, service.DocumentSource(path, "关于印发通知的通知", 2),
                                    service.PrintOptions(copies=5))
        assert job.tier == "central" and job.reasons[0]["code"] == "classified" and job.source_kind == "document"


def test_cli_route_json(settings, tmp_path):
    from click.testing import CliRunner

    from intranet.cli import cli

    runner = CliRunner()
    env = settings_env(settings)  # the same database in both test passes (SQLite and PostgreSQL)
    pdf = tmp_path / "drawing.pdf"
    pdf.write_bytes(make_pdf(1, A3_SIZE))
    result = runner.invoke(cli, ["print", "route", str(pdf), "--as", "lz_staff", "--json"], env=env)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["tier"] == "central" and out["queue"] == "wys-room-1" and out["media"] == "A3"
    assert out["reasons"][0]["code"] == "media" and out["options"]["job-hold-until"] == "indefinite"
    memo = tmp_path / "memo.pdf"
    memo.write_bytes(make_pdf(2))
    result = runner.invoke(cli, ["print", "route", str(memo), "--as", "lz_staff", "--copies", "2", "--json"], env=env)
    out = json.loads(result.output)
    assert out["tier"] == "department" and out["options"]["sides"] == "two-sided-long-edge"
    result = runner.invoke(cli, ["print", "route", str(memo), "--as", "nobody"], env=env)
    assert result.exit_code != 0 and "no user nobody" in result.output
    result = runner.invoke(cli, ["printers", "--json"], env=env)
    assert result.exit_code == 0 and json.loads(result.output)["backend"] == "spool"


def test_cli_printers_live_from_cupsd(settings, cupsd):
    from click.testing import CliRunner

    from intranet.cli import cli

    env = {**settings_env(settings), "EOFFICE_PRINTING_CUPS_SERVER": cupsd.server}
    result = CliRunner().invoke(cli, ["printers"], env=env)
    assert result.exit_code == 0, result.output
    assert "dept-lzc" in result.output and "idle" in result.output and "dept-ybc" in result.output
    assert "missing" in result.output  # dept-ybc is in the default policy but not on the test server
