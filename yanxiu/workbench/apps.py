from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "yanxiu.workbench"
    label = "workbench"
    verbose_name = "工作台"
