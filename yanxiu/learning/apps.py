from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "yanxiu.learning"
    label = "learning"
    verbose_name = "学习"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from yanxiu.learning.receivers import login_statement_record

        # A signal, not a call from accounts: accounts is a lower layer and must not import learning.
        user_logged_in.connect(login_statement_record, dispatch_uid="learning.login_statement")
