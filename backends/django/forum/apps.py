from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "backends.django.forum"
    label = "forum"
    verbose_name = "FinBoard forum"
    default_auto_field = "django.db.models.AutoField"
