"""The media pipeline: uploads checked by their content, videos transcoded to HLS, Office documents
converted to PDF (docs/decisions/0010-media-pipeline.md).

Originals live under MEDIA_ROOT/uploads/ and are never served publicly; what browsers get lives
under hls/<activity>/<token>/ (playlists and segments) and viewer/<activity>/ (PDFs and images).
The random token makes the public paths unguessable and lets a new transcode sit beside the old
one until it has succeeded.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import subprocess
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files import File
from django.db import transaction

from yanxiu.catalog.models import PLAYABLE_KINDS, Activity, ActivityKind, MediaStatus
from yanxiu.core.audit import audit_record
from yanxiu.core.errors import ValidationFailed

logger = logging.getLogger(__name__)

# Containers a teacher's camera, phone or screen recorder produces. Anything else ffprobe can read
# (playlists that point at other files, text shown as "tty" video, images) is refused.
VIDEO_CONTAINERS = frozenset({"mov", "mp4", "matroska", "webm", "avi", "flv", "mpegts", "mpeg", "asf", "ogg"})
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".flv", ".ts", ".mpg", ".mpeg", ".wmv", ".3gp", ".ogv"}
)
HLS_SEGMENT_SECONDS = 6
MAX_HEIGHT = 720

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Content kinds of documents: label, whether a browser shows it, its MIME type.
DOCUMENT_KINDS: dict[str, tuple[str, bool, str]] = {
    "pdf": ("PDF 文档", True, "application/pdf"),
    "png": ("PNG 图片", True, "image/png"),
    "jpeg": ("JPEG 图片", True, "image/jpeg"),
    "gif": ("GIF 图片", True, "image/gif"),
    "webp": ("WebP 图片", True, "image/webp"),
    "ole": ("Office 97-2003 文档", False, "application/octet-stream"),
    "docx": ("Word 文档", False, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("Excel 表格", False, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("PowerPoint 演示文稿", False, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}
# What each accepted extension must contain.
DOCUMENT_EXTENSIONS: dict[str, str] = {
    ".pdf": "pdf",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".gif": "gif",
    ".webp": "webp",
    ".doc": "ole",
    ".xls": "ole",
    ".ppt": "ole",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".pptx": "pptx",
}
OOXML_MEMBERS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}
IMAGE_KINDS = frozenset({"png", "jpeg", "gif", "webp"})
DOCUMENT_HELP = "支持 PDF、图片（PNG、JPEG、GIF、WebP）和 Office 文档（.doc .docx .ppt .pptx .xls .xlsx）"


def mebibytes(n: int) -> str:
    if n >= 1024**3:
        return f"{Decimal(n) / 1024**3:.1f} GB".replace(".0 GB", " GB")
    return f"{n // 1024**2} MB"


# --- Checking uploads ----------------------------------------------------------------------------
@dataclass(frozen=True)
class VideoInfo:
    duration: float
    width: int
    height: int


def probe_video(path: Path) -> VideoInfo:
    """ffprobe must find a known container with a video stream and a positive duration."""
    refuse = ValidationFailed(
        "无法识别为视频文件：请上传 MP4、MOV、MKV、WebM、AVI、FLV、MPEG 或 WMV 等常见格式的视频。", code="not_a_video"
    )
    try:
        result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [
                settings.FFPROBE_BINARY,
                "-v",
                "error",
                "-show_entries",
                "format=format_name,duration:stream=codec_type,codec_name,width,height,duration",
                "-of",
                "json",
                str(path),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        logger.exception("ffprobe failed to run on %s", path)
        raise ValidationFailed("服务器无法检查视频（缺少 ffprobe），请联系管理员。", code="ffprobe_missing") from None
    if result.returncode != 0:
        raise refuse
    try:
        info = json.loads(result.stdout or b"{}")
    except ValueError:
        raise refuse from None
    fmt = info.get("format") or {}
    if not set((fmt.get("format_name") or "").split(",")) & VIDEO_CONTAINERS:
        raise refuse
    videos = [
        s
        for s in info.get("streams") or []
        if s.get("codec_type") == "video" and s.get("codec_name") not in _IMAGE_CODECS
    ]
    if not videos:
        raise ValidationFailed("文件中没有视频画面，请上传视频文件。", code="no_video_stream")
    duration = _float(fmt.get("duration")) or _float(videos[0].get("duration"))
    if duration <= 0:
        raise ValidationFailed("无法读出视频时长，文件可能已损坏或不完整。", code="no_duration")
    return VideoInfo(
        duration=duration, width=int(videos[0].get("width") or 0), height=int(videos[0].get("height") or 0)
    )


# Cover art attached to an audio file shows up as a one-frame "video" stream.
_IMAGE_CODECS = frozenset({"mjpeg", "png", "bmp", "gif", "webp", "tiff"})


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _read_head(path: Path, size: int = 4096) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def detect_document(path: Path) -> str | None:
    """The document kind the bytes say (a key of DOCUMENT_KINDS), whatever the file is called."""
    head = _read_head(path)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        if "[Content_Types].xml" in names:
            for kind, member in OOXML_MEMBERS.items():
                if member in names:
                    return kind
    return None


def check_document(path: Path, filename: str) -> str:
    """The document's kind, when its content and its name agree; else a Chinese refusal."""
    ext = Path(filename).suffix.lower()
    expected = DOCUMENT_EXTENSIONS.get(ext)
    if expected is None:
        raise ValidationFailed(f"不支持的文件类型“{ext or '无扩展名'}”：{DOCUMENT_HELP}。", code="bad_document_type")
    found = detect_document(path)
    if found is None:
        raise ValidationFailed(
            f"文件内容不是有效的{DOCUMENT_KINDS[expected][0]}，可能已损坏，请检查后重新上传。", code="bad_document"
        )
    if found != expected:
        raise ValidationFailed(
            f"文件内容是{DOCUMENT_KINDS[found][0]}，与扩展名 {ext} 不符，请改正扩展名或重新导出后上传。",
            code="document_type_mismatch",
        )
    if found in IMAGE_KINDS:
        check_image(path)
    return found


def check_image(path: Path | IO[bytes]) -> str:
    """Pillow must read the whole image; returns its format in lower case (png, jpeg, gif, webp)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            fmt = (image.format or "").lower()
            image.verify()
    except Exception:
        raise ValidationFailed("图片无法读取，可能已损坏，请重新上传。", code="bad_image") from None
    if fmt not in IMAGE_KINDS:
        raise ValidationFailed("图片格式只能是 PNG、JPEG、GIF 或 WebP。", code="bad_image_format")
    return fmt


# --- Paths ---------------------------------------------------------------------------------------
def media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def hls_dir_of(playlist: str) -> Path | None:
    """The directory hls/<activity>/<token>/ holding a playlist (relative to MEDIA_ROOT)."""
    if not playlist:
        return None
    directory = (media_root() / playlist).parent
    return directory if directory.parent.parent == media_root() / "hls" else None


def remove_tree(directory: Path | None) -> None:
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


def remove_file(name: str) -> None:
    if name:
        (media_root() / name).unlink(missing_ok=True)


# --- Transcoding ---------------------------------------------------------------------------------
def _scale_filter() -> str:
    # At most 720 lines on the short side, aspect kept, even dimensions for yuv420p.
    return (
        f"scale=w='if(gte(iw,ih),-2,trunc(min(iw,{MAX_HEIGHT})/2)*2)'"
        f":h='if(gte(iw,ih),trunc(min(ih,{MAX_HEIGHT})/2)*2,-2)'"
    )


def hls_command(source: Path, out_dir: Path) -> list[str]:
    return [
        settings.FFMPEG_BINARY,
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        # Stop at the first corrupt packet: a truncated upload must fail, not become a short video.
        "-xerror",
        "-y",
        "-i",
        str(source),
        "-map",
        "0:v:0",
        "-map",
        "0:a:0?",
        "-vf",
        _scale_filter(),
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-profile:v",
        "high",
        "-pix_fmt",
        "yuv420p",
        # A keyframe at least every segment, so segments cut cleanly at 6 s.
        "-force_key_frames",
        f"expr:gte(t,n_forced*{HLS_SEGMENT_SECONDS})",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-ac",
        "2",
        "-f",
        "hls",
        "-hls_time",
        str(HLS_SEGMENT_SECONDS),
        "-hls_playlist_type",
        "vod",
        "-hls_segment_filename",
        str(out_dir / "seg_%05d.ts"),
        "-progress",
        "pipe:1",
        "-nostats",
        str(out_dir / "index.m3u8"),
    ]


def _run_with_progress(command: list[str], duration: float, on_percent: object) -> tuple[int, str]:
    """Run ffmpeg, calling on_percent(0-99) as `-progress` reports; returns (exit code, stderr tail)."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            command, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        timer = threading.Timer(settings.CATALOG_PROCESS_TIMEOUT, process.kill)
        timer.start()
        last = -1
        try:
            assert process.stdout is not None
            for line in process.stdout:
                key, _, value = line.strip().partition("=")
                if key == "out_time_us" and value.isdigit() and duration > 0:
                    percent = min(99, int(int(value) / (duration * 1_000_000) * 100))
                    if percent > last:
                        last = percent
                        on_percent(percent)  # type: ignore[operator]
            code = process.wait()
        finally:
            timer.cancel()
        errors.seek(0)
        tail = errors.read()[-2000:].decode("utf-8", "replace")
    return code, tail


def _set_status(activity_id: int, source: str, **fields: object) -> int:
    return Activity.objects.filter(pk=activity_id, media_file=source).update(**fields)


def _claim(activity_id: int, source: str, *, progress: int) -> bool:
    """Move a pending upload to processing; False when it is not pending (already done, failed, or
    being processed by another run: a task and a direct call may meet)."""
    return bool(
        Activity.objects.filter(pk=activity_id, media_file=source, media_status=MediaStatus.PENDING).update(
            media_status=MediaStatus.PROCESSING, media_progress=progress, media_error=""
        )
    )


def _fail(activity: Activity, source: str, message: str) -> None:
    with transaction.atomic():
        if _set_status(activity.pk, source, media_status=MediaStatus.FAILED, media_error=message[:500]):
            audit_record(
                action="activity.media_failed", actor_label="system", target=activity, detail={"error": message}
            )


def transcode_activity(activity_id: int) -> None:
    """Transcode a pending video or micro-lesson upload to HLS. Only one run claims it (pending →
    processing), so a retried task or a concurrent direct call does nothing.

    Progress goes to media_progress; on success hls_playlist, duration_seconds and media_status
    "ready" are set together and the previous HLS directory is removed; on failure media_status
    is "failed" with a Chinese media_error, and the previous playlist (if any) keeps playing.
    """
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None or activity.kind not in PLAYABLE_KINDS or not activity.media_file:
        return
    source = activity.media_file.name or ""
    if not _claim(activity.pk, source, progress=0):
        return
    source_path = media_root() / source
    if not source_path.exists():
        _fail(activity, source, "上传的视频文件已不存在，请重新上传。")
        return
    try:
        info = probe_video(source_path)
    except ValidationFailed as exc:
        _fail(activity, source, exc.message)
        return
    out_dir = media_root() / "hls" / str(activity.pk) / secrets.token_urlsafe(12)
    out_dir.mkdir(parents=True, exist_ok=True)

    def on_percent(percent: int) -> None:
        _set_status(activity.pk, source, media_progress=percent)

    try:
        code, tail = _run_with_progress(hls_command(source_path, out_dir), info.duration, on_percent)
    except OSError:
        logger.exception("ffmpeg failed to start for activity %s", activity.pk)
        remove_tree(out_dir)
        _fail(activity, source, "服务器无法转码视频（缺少 ffmpeg），请联系管理员。")
        return
    playlist = out_dir / "index.m3u8"
    if code != 0 or not playlist.exists():
        logger.warning("transcode of activity %s failed (exit %s): %s", activity.pk, code, tail)
        remove_tree(out_dir)
        _fail(activity, source, "视频转码失败：文件可能已损坏或不完整，请检查后重新上传。")
        return
    relative = playlist.relative_to(media_root()).as_posix()
    with transaction.atomic():
        locked = Activity.objects.select_for_update().filter(pk=activity.pk).first()
        if locked is None or locked.media_file.name != source:
            # Deleted, or replaced by a newer upload while this one ran: its own task will finish it.
            transaction.on_commit(lambda: remove_tree(out_dir))
            return
        previous = hls_dir_of(locked.hls_playlist)
        locked.hls_playlist = relative
        locked.duration_seconds = max(1, round(info.duration))
        locked.media_status = MediaStatus.READY
        locked.media_progress = 100
        locked.media_error = ""
        locked.save(
            update_fields=[
                "hls_playlist",
                "duration_seconds",
                "media_status",
                "media_progress",
                "media_error",
                "updated_at",
            ]
        )
        audit_record(
            action="activity.media_ready",
            actor_label="system",
            target=locked,
            detail={"playlist": relative, "duration": locked.duration_seconds},
        )
        if previous is not None and previous != out_dir:
            transaction.on_commit(lambda: remove_tree(previous))


# --- Documents -----------------------------------------------------------------------------------
def store_viewer_copy(activity: Activity, source: Path, suffix: str) -> str:
    """Copy a browser-viewable file into viewer/<activity>/<token><suffix>; returns its name."""
    with source.open("rb") as handle:
        return activity.viewer_file.storage.save(
            f"viewer/{activity.pk}/{secrets.token_urlsafe(12)}{suffix}", File(handle)
        )


def convert_document(activity_id: int) -> None:
    """Turn an Office upload into a PDF for the browser, with LibreOffice when it is installed.

    Without LibreOffice the original stays and is offered for download (media_status "ready",
    no viewer_file). Idempotent, like transcode_activity.
    """
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None or activity.kind != ActivityKind.DOCUMENT or not activity.media_file:
        return
    source = activity.media_file.name or ""
    if not _claim(activity.pk, source, progress=10):
        return
    source_path = media_root() / source
    soffice = shutil.which("soffice")
    if soffice is None:
        _set_status(activity.pk, source, media_status=MediaStatus.READY, media_progress=100, media_error="")
        return
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "out"
        command = [
            soffice,
            # A private profile: conversions running side by side would otherwise share one and fail.
            f"-env:UserInstallation=file://{work}/profile",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(source_path),
        ]
        try:
            subprocess.run(  # noqa: S603 - fixed argument list, no shell
                command, capture_output=True, timeout=min(settings.CATALOG_PROCESS_TIMEOUT, 600), check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            logger.exception("soffice failed for activity %s", activity.pk)
        pdf = out / f"{source_path.stem}.pdf"
        if not pdf.exists() or detect_document(pdf) != "pdf":
            _fail(activity, source, "文档无法转换为 PDF 在线浏览，学员可以下载原文件查看。")
            return
        name = store_viewer_copy(activity, pdf, ".pdf")
    with transaction.atomic():
        locked = Activity.objects.select_for_update().filter(pk=activity.pk).first()
        if locked is None or locked.media_file.name != source:
            transaction.on_commit(lambda: remove_file(name))
            return
        previous = locked.viewer_file.name
        locked.viewer_file.name = name
        locked.media_status = MediaStatus.READY
        locked.media_progress = 100
        locked.media_error = ""
        locked.save(update_fields=["viewer_file", "media_status", "media_progress", "media_error", "updated_at"])
        audit_record(action="activity.media_ready", actor_label="system", target=locked, detail={"viewer": name})
        if previous and previous != name:
            transaction.on_commit(lambda: remove_file(previous))


# --- Sample videos -------------------------------------------------------------------------------
def make_sample_video(path: Path | str, seconds: int = 2, label: str = "") -> Path:
    """A short real video (colour bars, a tone, the label drawn on when fonts allow) for demo data
    and tests. Small and fast: 320x180, 15 frames a second."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def command(with_label: bool) -> list[str]:
        video = f"testsrc2=size=320x180:rate=15:duration={seconds}"
        if with_label and label:
            text = label.replace("\\", "\\\\").replace("'", "’").replace(":", "\\:").replace("%", "\\%")
            video += f",drawtext=text='{text}':fontsize=20:fontcolor=white:box=1:boxcolor=black@0.5:x=10:y=10"
        return [
            settings.FFMPEG_BINARY,
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            video,
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "+faststart",
            str(path),
        ]

    # drawtext needs fontconfig and a font; without them, the same video without the label.
    for with_label in (True, False):
        result = subprocess.run(command(with_label), capture_output=True, timeout=120, check=False)  # noqa: S603
        if result.returncode == 0 and path.exists() and path.stat().st_size > 0:
            return path
    raise RuntimeError(f"ffmpeg could not make a sample video: {result.stderr[-500:]!r}")
