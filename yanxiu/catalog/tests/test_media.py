"""The media pipeline: uploads checked by content, real transcodes of tiny videos, documents, serving."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from yanxiu.catalog import actions, media, selectors
from yanxiu.catalog.models import Activity, ActivityKind, MediaStatus
from yanxiu.catalog.tests.factories import ChapterFactory, course_author, draft_course_of
from yanxiu.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(scope="session")
def sample_video(tmp_path_factory) -> bytes:
    return media.make_sample_video(
        tmp_path_factory.mktemp("video") / "two.mp4", seconds=2, label="测试 2s"
    ).read_bytes()


@pytest.fixture(scope="session")
def other_video(tmp_path_factory) -> bytes:
    return media.make_sample_video(tmp_path_factory.mktemp("video") / "one.mp4", seconds=1).read_bytes()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.fixture
def chapter(regions):
    author = course_author()
    return ChapterFactory(course=draft_course_of(author)), author


def files_under(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


def add(chapter, author, kind, name, data, **kwargs) -> Activity:
    return actions.activity_create(
        acting_user=author,
        chapter=chapter,
        kind=kind,
        title="视频",
        upload=SimpleUploadedFile(name, data),
        **kwargs,
    )


def test_real_transcode_makes_a_playlist(chapter, sample_video, settings) -> None:
    chapter, author = chapter
    activity = add(chapter, author, ActivityKind.VIDEO, "课堂实录.mp4", sample_video)
    assert activity.media_status == MediaStatus.PENDING and activity.duration_seconds == 2
    assert activity.media_file.name.startswith(f"uploads/{chapter.course_id}/")
    media.transcode_activity(activity.pk)
    activity.refresh_from_db()
    assert (activity.media_status, activity.media_progress, activity.duration_seconds) == (MediaStatus.READY, 100, 2)
    assert activity.media_error == ""
    playlist = Path(settings.MEDIA_ROOT) / activity.hls_playlist
    assert activity.hls_playlist.startswith(f"hls/{activity.pk}/") and activity.hls_playlist.endswith("/index.m3u8")
    text = playlist.read_text()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and "#EXT-X-ENDLIST" in text and ".ts" in text
    assert selectors.playlist_url(activity) == f"/media/{activity.hls_playlist}"
    # A retried task leaves a finished transcode alone.
    media.transcode_activity(activity.pk)
    activity.refresh_from_db()
    assert selectors.playlist_url(activity) == f"/media/{activity.hls_playlist}"


def test_reupload_replaces_the_old_playlist_only_after_success(
    chapter, sample_video, other_video, settings, django_capture_on_commit_callbacks
) -> None:
    chapter, author = chapter
    activity = add(chapter, author, ActivityKind.MICRO_LESSON, "a.mp4", sample_video)
    media.transcode_activity(activity.pk)
    activity.refresh_from_db()
    first_dir = (Path(settings.MEDIA_ROOT) / activity.hls_playlist).parent
    first_upload = Path(settings.MEDIA_ROOT) / activity.media_file.name
    with django_capture_on_commit_callbacks(execute=True):
        actions.activity_update(
            acting_user=author, activity=activity, title="视频", upload=SimpleUploadedFile("b.mov", other_video)
        )
    activity.refresh_from_db()
    # While the new upload waits, the old playlist still plays, measured by its own duration.
    assert activity.media_status == MediaStatus.PENDING and first_dir.is_dir()
    assert activity.duration_seconds == 2
    assert selectors.playlist_url(activity).endswith(f"{first_dir.name}/index.m3u8")
    with django_capture_on_commit_callbacks(execute=True):
        media.transcode_activity(activity.pk)
    activity.refresh_from_db()
    assert activity.media_status == MediaStatus.READY and activity.duration_seconds == 1
    assert first_dir.name not in activity.hls_playlist and not first_dir.exists()
    assert not first_upload.exists()


def test_truncated_video_fails_with_a_clear_message(chapter, sample_video, settings) -> None:
    chapter, author = chapter
    # faststart puts the index first: ffprobe still reads a duration, the frames are cut off.
    activity = add(chapter, author, ActivityKind.VIDEO, "cut.mp4", sample_video[: len(sample_video) // 2])
    media.transcode_activity(activity.pk)
    activity.refresh_from_db()
    assert activity.media_status == MediaStatus.FAILED
    assert activity.media_error == "视频转码失败：文件可能已损坏或不完整，请检查后重新上传。"
    assert activity.hls_playlist == "" and selectors.playlist_url(activity) is None
    assert not files_under(Path(settings.MEDIA_ROOT) / "hls")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("lesson.mp4", b"this is a text file, not a video\n" * 20, "无法识别为视频文件"),
        ("lesson.mp4", b"", "文件是空的"),
        ("picture.mp4", None, "无法识别为视频文件"),
    ],
)
def test_bad_video_uploads_save_nothing(chapter, settings, name, data, message) -> None:
    chapter, author = chapter
    with pytest.raises(ValidationFailed) as caught:
        add(chapter, author, ActivityKind.VIDEO, name, png_bytes() if data is None else data)
    assert message in caught.value.message
    assert not Activity.objects.exists()
    assert not files_under(settings.MEDIA_ROOT)


def test_video_whose_index_is_cut_off_is_refused_at_upload(chapter, settings, tmp_path) -> None:
    chapter, author = chapter
    plain = tmp_path / "plain.mp4"
    media.make_sample_video(plain, seconds=1)
    data = plain.read_bytes()
    # Cut inside the file's index: ffprobe finds no usable stream.
    with pytest.raises(ValidationFailed):
        add(chapter, author, ActivityKind.VIDEO, "cut.mp4", data[:200])
    assert not Activity.objects.exists() and not files_under(settings.MEDIA_ROOT)


def test_too_large_uploads_are_refused(chapter, settings, sample_video) -> None:
    chapter, author = chapter
    settings.CATALOG_MAX_VIDEO_BYTES = 1000
    settings.CATALOG_MAX_DOCUMENT_BYTES = 10
    with pytest.raises(ValidationFailed) as caught:
        add(chapter, author, ActivityKind.VIDEO, "a.mp4", sample_video)
    assert "视频文件太大" in caught.value.message
    with pytest.raises(ValidationFailed) as caught:
        add(chapter, author, ActivityKind.DOCUMENT, "a.pdf", PDF)
    assert "文档太大" in caught.value.message
    assert not Activity.objects.exists() and not files_under(settings.MEDIA_ROOT)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("讲义.pdf", png_bytes(), "文件内容是PNG 图片，与扩展名 .pdf 不符"),
        ("讲义.docx", PDF, "文件内容是PDF 文档，与扩展名 .docx 不符"),
        ("讲义.pdf", b"hello", "文件内容不是有效的PDF 文档"),
        ("讲义.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "图片无法读取"),
        ("讲义.exe", b"MZ", "不支持的文件类型“.exe”"),
        ("讲义.xlsx", docx_bytes(), "文件内容是Word 文档，与扩展名 .xlsx 不符"),
    ],
)
def test_bad_documents_save_nothing(chapter, settings, name, data, message) -> None:
    chapter, author = chapter
    with pytest.raises(ValidationFailed) as caught:
        add(chapter, author, ActivityKind.DOCUMENT, name, data)
    assert message in caught.value.message
    assert not Activity.objects.exists() and not files_under(settings.MEDIA_ROOT)


@pytest.mark.parametrize(("name", "data", "kind"), [("讲义.pdf", PDF, "pdf"), ("板书.PNG", png_bytes(), "image")])
def test_pdf_and_images_are_viewable_at_once(chapter, name, data, kind) -> None:
    chapter, author = chapter
    activity = add(chapter, author, ActivityKind.DOCUMENT, name, data)
    assert activity.media_status == MediaStatus.READY
    assert selectors.viewer_url(activity).startswith(f"/media/viewer/{activity.pk}/")
    assert selectors.viewer_kind(activity) == kind
    assert selectors.playlist_url(activity) is None


def test_office_document_without_libreoffice_is_offered_for_download(chapter, monkeypatch) -> None:
    chapter, author = chapter
    activity = add(chapter, author, ActivityKind.DOCUMENT, "教案.docx", docx_bytes())
    assert activity.media_status == MediaStatus.PENDING
    monkeypatch.setattr(media.shutil, "which", lambda name: None)
    actions.activity_media_process(activity_id=activity.pk)
    activity.refresh_from_db()
    assert activity.media_status == MediaStatus.READY
    assert selectors.viewer_url(activity) is None
    assert selectors.download_url(activity) == f"/catalog/activities/{activity.pk}/download/"


def test_ole_office_files_are_recognised(tmp_path) -> None:
    path = tmp_path / "a.doc"
    path.write_bytes(media.OLE_MAGIC + b"\0" * 600)
    assert media.check_document(path, "旧教案.doc") == "ole"
    assert media.check_document(path, "旧表格.XLS") == "ole"


# --- Serving ---------------------------------------------------------------------------------------
@pytest.fixture
def media_files(settings):
    root = Path(settings.MEDIA_ROOT)
    for name, data in {
        "hls/1/tok/index.m3u8": b"#EXTM3U\n",
        "hls/1/tok/seg_00000.ts": b"\x47" * 188,
        "viewer/1/a.pdf": PDF,
        "covers/c.png": png_bytes(),
        "uploads/1/original.mp4": b"secret",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("hls/1/tok/index.m3u8", "application/vnd.apple.mpegurl"),
        ("hls/1/tok/seg_00000.ts", "video/mp2t"),
        ("viewer/1/a.pdf", "application/pdf"),
        ("covers/c.png", "image/png"),
    ],
)
def test_media_view_serves_the_public_prefixes(media_files, path, content_type) -> None:
    response = Client().get(f"/media/{path}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "uploads/1/original.mp4",
        "hls/../uploads/1/original.mp4",
        "hls/%2e%2e/uploads/1/original.mp4",
        "hls/1/tok/",
        "hls/1/missing.ts",
        "viewer/..%2f..%2fsecret_key",
        "hls//etc/passwd",
    ],
)
def test_media_view_refuses_originals_and_traversal(media_files, path) -> None:
    assert Client().get(f"/media/{path}").status_code == 404


def test_media_view_is_off_when_nginx_serves(media_files, settings) -> None:
    settings.SERVE_MEDIA = False
    assert Client().get("/media/covers/c.png").status_code == 404


def test_upload_enqueues_the_transcode_on_commit(
    chapter, sample_video, settings, django_capture_on_commit_callbacks
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    chapter, author = chapter
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        activity = add(chapter, author, ActivityKind.VIDEO, "课.mp4", sample_video)
    assert len(callbacks) == 1
    activity.refresh_from_db()
    assert activity.media_status == MediaStatus.READY and selectors.playlist_url(activity)
    # A second run (a retried task, or demo data calling it directly) leaves it alone.
    playlist = activity.hls_playlist
    media.transcode_activity(activity.pk)
    activity.refresh_from_db()
    assert activity.hls_playlist == playlist
