"""Permissions in results, counts and downloads; the pages; record metadata; the CLI."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core import org
from core.models.files import ArchiveFile
from intranet.cli import cli
from library import records, service
from library.access import visible_file
from tests.library import corpus
from tests.support.app import settings_env

BODY = "关于开展森林资源督查工作的通知 成林发〔2024〕8号"


@pytest.fixture
def archive(isettings, db):
    root = isettings.archive_dir
    corpus.write_txt(root / "BGS" / "2024" / "办公室通知.txt", BODY + " 办公室")
    corpus.write_docx(root / "LZC" / "2024" / "林政通知.docx", BODY + " 林政资源管理处")
    corpus.write_pdf(root / "LZC" / "2023" / "林政秘密.pdf", BODY + " 秘密件")
    corpus.write_txt(root / "公开" / "制度汇编.txt", BODY + " 公开制度")
    (root / "LZC" / "2023" / "损坏.pdf").write_bytes(b"%PDF-1.4 broken")
    with db.session() as session:
        records.attach_record_metadata(session, "LZC/2023/林政秘密.pdf", archive_number="J012-WS·2023-Y-LZC-0001",
                                       retention="Y", classification=3, title="林政资源秘密文件")
        # Filed before the file exists: applied when the indexer first sees it.
        records.attach_record_metadata(session, "BGS/2025/发文.docx", archive_number="J012-WS·2025-D30-BGS-0002",
                                       retention="D30", classification=1, title="关于印发工作要点的通知")
    corpus.write_docx(root / "BGS" / "2025" / "发文.docx", "工作要点 " + BODY)
    service.rebuild(isettings, db)
    with db.session() as session:
        return {f.name: f.id for f in session.scalars(select(ArchiveFile))}


def _search(client, q, **args):
    return client.get("/search/", query_string={"q": q, **args}).get_data(as_text=True)


def test_other_department_sees_nothing_restricted(client, auth, archive, db):
    auth.login("zl_staff")
    html = _search(client, "森林资源督查")
    assert "制度汇编" in html and "找到 1 个文件" in html
    for hidden in ("办公室通知", "林政通知", "林政资源秘密文件"):
        assert hidden not in html
    assert client.get(f"/search/files/{archive['林政通知.docx']}/download").status_code == 404
    assert client.get(f"/search/files/{archive['林政通知.docx']}").status_code == 404
    library = client.get("/search/library").get_data(as_text=True)
    assert "林政资源管理处" not in library


def test_own_department_and_clearance(client, auth, archive, db):
    auth.login("lz_staff")  # LZC, clearance 1
    html = _search(client, "森林资源督查")
    assert "找到 2 个文件" in html and "林政通知" in html and "制度汇编" in html
    assert "林政资源秘密文件" not in html and "办公室通知" not in html
    assert "<mark>森林资源督查</mark>" in html
    # Facet counts come from the visible hits only.
    assert '林政资源管理处</a> <span class="count">1</span>' in html
    resp = client.get(f"/search/files/{archive['林政通知.docx']}/download")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    assert "attachment" in resp.headers["Content-Disposition"]
    resp.close()
    assert client.get(f"/search/files/{archive['林政秘密.pdf']}/download").status_code == 404
    with db.session() as session:
        lz = org.user_by_username(session, "lz_head")  # clearance 2: still below 机密
        assert visible_file(session, lz, archive["林政秘密.pdf"]) is None
        archivist = org.user_by_username(session, "archivist")  # all departments, clearance 3
        row = visible_file(session, archivist, archive["林政秘密.pdf"])
        assert row is not None and row.archive_number == "J012-WS·2023-Y-LZC-0001" and row.retention == "Y"


def test_archivist_sees_all_and_records_apply(client, auth, archive, db):
    auth.login("archivist")
    html = _search(client, "森林资源督查")
    assert "找到 5 个文件" in html and "林政资源秘密文件" in html and "关于印发工作要点的通知" in html
    with db.session() as session:
        filed = session.get(ArchiveFile, archive["发文.docx"])
        assert (filed.archive_number, filed.retention, filed.classification) == ("J012-WS·2025-D30-BGS-0002", "D30", 1)
    # Filters and sorting.
    html = _search(client, "森林资源督查", year="2023")
    assert "找到 1 个文件" in html and "林政资源秘密文件" in html
    html = _search(client, "森林资源督查", sort="date")
    assert "找到 5 个文件" in html
    preview = client.get(f"/search/files/{archive['林政通知.docx']}?q=督查").get_data(as_text=True)
    assert "<mark>督查</mark>" in preview and "J012" not in preview


def test_status_page_retry_and_upload(client, auth, archive, isettings, db):
    auth.login("lz_staff")
    assert client.get("/search/status").status_code == 403
    token = auth.csrf("/search/library")
    assert client.post("/search/library/upload", data={"csrf_token": token}).status_code == 403
    auth.logout()
    auth.login("archivist")
    html = client.get("/search/status").get_data(as_text=True)
    assert "LZC/2023/损坏.pdf" in html and "文件损坏" in html
    token = auth.csrf("/search/status")
    resp = client.post(f"/search/status/retry?file_id={archive['损坏.pdf']}", data={"csrf_token": token})
    assert resp.status_code == 302
    with db.session() as session:
        assert session.get(ArchiveFile, archive["损坏.pdf"]).outcome == "pending"
        assert service.status(session, isettings).queue == 1

    token = auth.csrf("/search/library")
    data = {"csrf_token": token, "folder": "ZLC", "year": "2024",
            "file": (io.BytesIO("造林绿化工作总结".encode()), "造林总结.txt")}
    resp = client.post("/search/library/upload", data=data, content_type="multipart/form-data",
                       follow_redirects=True)
    assert "已上传到 ZLC/2024/造林总结.txt" in resp.get_data(as_text=True)
    assert (isettings.archive_dir / "ZLC" / "2024" / "造林总结.txt").read_text() == "造林绿化工作总结"
    data["file"] = (io.BytesIO(b"x"), "造林总结.txt")
    data["csrf_token"] = auth.csrf("/search/library")
    resp = client.post("/search/library/upload", data=data, content_type="multipart/form-data",
                       follow_redirects=True)
    assert "已有同名文件" in resp.get_data(as_text=True)
    assert (isettings.archive_dir / "ZLC" / "2024" / "造林总结.txt").read_text() == "造林绿化工作总结"
    library = client.get("/search/library?shelf=1&dept=3&year=2024").get_data(as_text=True)
    assert "林政通知" in library


def test_cli(archive, isettings, data_dir):
    runner = CliRunner()
    env = settings_env(isettings)  # the test's database in both passes (SQLite and PostgreSQL)
    result = runner.invoke(cli, ["search", "森林资源督查", "--as", "lz_staff", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert {h["path"] for h in json.loads(result.output)} == {"LZC/2024/林政通知.docx", "公开/制度汇编.txt"}
    result = runner.invoke(cli, ["search", "成林发〔2024〕8号", "--json", "--limit", "2"], env=env)
    assert len(json.loads(result.output)) == 2
    result = runner.invoke(cli, ["index", "status", "--json"], env=env)
    status = json.loads(result.output)
    assert status["files"] == 6 and status["queue"] == 0 and status["outcomes"]["damaged"] == 1
    result = runner.invoke(cli, ["index", "verify"], env=env)
    assert result.exit_code == 0 and "一致" in result.output
    (isettings.archive_dir / "公开" / "新文件.txt").write_text("新的内容")
    result = runner.invoke(cli, ["index", "verify"], env=env)
    assert result.exit_code == 1 and "公开/新文件.txt" in result.output
    result = runner.invoke(cli, ["index", "rebuild"], env=env)
    assert result.exit_code == 0 and "7 个文件" in result.output
    assert "文件损坏或无法读取 / damaged: 1" in result.output  # counts by outcome
    assert "已索引 / indexed: 6" in result.output
    result = runner.invoke(cli, ["search", "新的内容", "--json"], env=env)
    assert [h["path"] for h in json.loads(result.output)] == ["公开/新文件.txt"]
