"""The routes of /api/v1, the same paths as the Flask blueprint (no trailing slashes)."""

from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="register"),
    path("auth/login", views.LoginView.as_view(), name="login"),
    path("posts", views.PostListView.as_view(), name="posts"),
    path("posts/<str:post_id>", views.PostView.as_view(), name="post"),
    path("posts/<str:post_id>/comments", views.CommentListView.as_view(), name="comments"),
    path("categories", views.CategoryListView.as_view(), name="categories"),
    path("stats/categories", views.CategoryStatsView.as_view(), name="category-stats"),
    path("healthz", views.HealthView.as_view(), name="healthz"),
    path("openapi.json", views.OpenApiView.as_view(), name="openapi"),
]
