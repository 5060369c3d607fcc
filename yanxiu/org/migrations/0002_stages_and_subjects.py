"""Seed the stages (学段) and the subjects of seed 004 table 2 with the extras it notes."""

from django.db import migrations

STAGES = [
    ("kindergarten", "幼儿园"),
    ("primary", "小学"),
    ("junior", "初中"),
    ("senior", "高中"),
    ("vocational", "中职"),
    ("special", "特殊教育"),
]

# (code, name, aliases, is_extra): table 2's 18 subjects, then those that appeared when teachers
# changed their subject during the period (教育, 特殊教育, 心理, 艺术, 图书) and 其它.
SUBJECTS = [
    ("chinese", "语文", [], False),
    ("math", "数学", [], False),
    ("english", "英语", [], False),
    ("physics", "物理", [], False),
    ("chemistry", "化学", [], False),
    ("biology", "生物", [], False),
    ("geography", "地理", [], False),
    ("history", "历史", [], False),
    ("politics", "政治", [], False),
    ("morality", "思品", ["思想品德", "道德与法治"], False),
    ("science", "科学", [], False),
    ("pe", "体育", ["体育与健康"], False),
    ("music", "音乐", [], False),
    ("art", "美术", [], False),
    ("it", "信息技术", ["通用技术", "电教", "信息技术、通用技术、电教"], False),
    ("practice", "综合实践活动", ["综合实践"], False),
    ("preschool", "幼教", ["学前教育"], False),
    ("vocational", "中职", ["中职专业课"], False),
    ("education", "教育", [], True),
    ("special_education", "特殊教育", [], True),
    ("psychology", "心理", ["心理健康"], True),
    ("arts", "艺术", [], True),
    ("library", "图书", [], True),
    ("other", "其它", ["其他"], True),
]


def seed(apps, schema_editor):
    Stage = apps.get_model("org", "Stage")
    Subject = apps.get_model("org", "Subject")
    for sort, (code, name) in enumerate(STAGES, start=1):
        Stage.objects.update_or_create(code=code, defaults={"name": name, "sort": sort})
    for sort, (code, name, aliases, is_extra) in enumerate(SUBJECTS, start=1):
        Subject.objects.update_or_create(
            code=code, defaults={"name": name, "aliases": aliases, "is_extra": is_extra, "sort": sort}
        )


class Migration(migrations.Migration):
    dependencies = [("org", "0001_regions_schools_teachers_roles")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
