from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "yanxiu.learning"
    label = "learning"
    verbose_name = "学习"
