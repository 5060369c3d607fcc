from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from yanxiu.catalog.models import PLAYABLE_KINDS, ActivityKind, CourseCategory, CourseType
from yanxiu.core.forms import StyledForm
from yanxiu.org.models import Stage, Subject

IMAGE_ACCEPT = "image/png,image/jpeg,image/gif,image/webp"
DOCUMENT_ACCEPT = ".pdf,.png,.jpg,.jpeg,.gif,.webp,.doc,.docx,.ppt,.pptx,.xls,.xlsx"


class CourseForm(StyledForm):
    code = forms.CharField(label="课程编号", max_length=32, error_messages={"required": "请填写课程编号。"})
    title = forms.CharField(label="课程名称", max_length=200, error_messages={"required": "请填写课程名称。"})
    category = forms.ChoiceField(label="选课类型", choices=CourseCategory.choices)
    course_type = forms.ChoiceField(label="课程类型", choices=[("", "（未填）"), *CourseType.choices], required=False)
    credit_hours = forms.DecimalField(
        label="学时",
        min_value=Decimal("0.5"),
        max_value=Decimal("200"),
        max_digits=4,
        decimal_places=1,
        help_text="不少于 0.5，最多一位小数。",
        error_messages={"required": "请填写学时。"},
    )
    all_stages = forms.BooleanField(label="全学段", required=False)
    stages = forms.ModelMultipleChoiceField(
        label="学段", queryset=Stage.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    all_subjects = forms.BooleanField(label="全学科", required=False)
    subjects = forms.ModelMultipleChoiceField(
        label="学科", queryset=Subject.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    speaker = forms.CharField(label="主讲人", max_length=100, required=False)
    description = forms.CharField(
        label="课程简介", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    cover = forms.FileField(
        label="封面图片",
        required=False,
        help_text="PNG、JPEG、GIF 或 WebP 图片，不超过 5 MB。",
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    remove_cover = forms.BooleanField(label="删除现有封面", required=False)

    def __init__(self, *args: Any, has_cover: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not has_cover:
            del self.fields["remove_cover"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("all_stages") and not data.get("stages"):
            self.add_error("stages", "请选择学段，或勾选“全学段”。")
        if not data.get("all_subjects") and not data.get("subjects"):
            self.add_error("subjects", "请选择学科，或勾选“全学科”。")
        return data


class ChapterForm(StyledForm):
    title = forms.CharField(label="章节名称", max_length=200, error_messages={"required": "请填写章节名称。"})


class ActivityForm(StyledForm):
    """The fields an activity of `kind` has; the upload is required when creating."""

    title = forms.CharField(label="活动名称", max_length=200, error_messages={"required": "请填写活动名称。"})
    required = forms.BooleanField(label="必修", required=False, initial=True)
    watch_percent = forms.IntegerField(
        label="完成条件：观看比例（%）",
        min_value=50,
        max_value=100,
        initial=90,
        help_text="学员实际看过的时长达到视频时长的这个比例即为完成（50%–100%）。",
    )
    body = forms.CharField(
        label="页面正文（HTML）",
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="保存时会去掉脚本、事件属性等不安全的内容。",
        error_messages={"required": "请填写页面正文。"},
    )
    url = forms.CharField(
        label="链接地址",
        max_length=200,
        help_text="以 http:// 或 https:// 开头的完整网址。",
        widget=forms.URLInput(attrs={"inputmode": "url"}),
        error_messages={"required": "请填写链接地址。"},
    )
    file = forms.FileField(label="文件", error_messages={"required": "请选择要上传的文件。", "empty": "文件是空的。"})

    def __init__(self, *args: Any, kind: str, creating: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if kind not in PLAYABLE_KINDS:
            del self.fields["watch_percent"]
        if kind != ActivityKind.PAGE:
            del self.fields["body"]
        if kind != ActivityKind.LINK:
            del self.fields["url"]
        if kind in PLAYABLE_KINDS:
            self.fields["file"].label = "视频文件"
            self.fields["file"].widget.attrs["accept"] = "video/*"
            self.fields["file"].help_text = "MP4、MOV、MKV、WebM 等常见视频格式；上传后在后台转码。"
        elif kind == ActivityKind.DOCUMENT:
            self.fields["file"].label = "文档"
            self.fields["file"].widget.attrs["accept"] = DOCUMENT_ACCEPT
            self.fields[
                "file"
            ].help_text = "PDF、图片可直接在线浏览；Office 文档转换为 PDF（服务器未安装转换程序时供下载）。"
        else:
            del self.fields["file"]
        if "file" in self.fields and not creating:
            self.fields["file"].required = False
            self.fields["file"].help_text += " 不选择文件则保留原文件。"


class CheckpointForm(StyledForm):
    at_seconds = forms.IntegerField(
        label="出现时间（秒）", min_value=0, error_messages={"required": "请填写出现时间。"}
    )
    question = forms.CharField(label="问题", max_length=500, error_messages={"required": "请填写问题。"})
    choices = forms.CharField(
        label="选项",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个选项，2 到 6 个。",
        error_messages={"required": "请填写选项。"},
    )
    answer = forms.IntegerField(
        label="正确选项是第几个", min_value=1, max_value=6, error_messages={"required": "请填写正确选项。"}
    )

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]
