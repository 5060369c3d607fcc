from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "yanxiu.training"
    label = "training"
    verbose_name = "培训项目"
