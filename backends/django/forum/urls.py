"""The routes of /api/v1, the same paths as the Flask blueprint (no trailing slashes)."""

from django.urls import path

from . import community_views as community
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
    # community and market (finboard/api/community.py)
    path("users/<str:username>", community.UserView.as_view(), name="user"),
    path("users/<str:username>/comments", community.UserCommentsView.as_view(), name="user-comments"),
    path("posts/<str:post_id>/revisions", community.RevisionsView.as_view(), name="post-revisions"),
    path("reports", community.ReportsView.as_view(), name="reports"),
    path("moderation/reports", community.ModerationReportsView.as_view(), name="moderation-reports"),
    path(
        "moderation/reports/<str:report_id>/resolve",
        community.ResolveReportView.as_view(),
        name="moderation-resolve-report",
    ),
    path("moderation/posts/<str:post_id>", community.ModeratePostView.as_view(), name="moderation-post"),
    path("moderation/comments/<str:comment_id>", community.ModerateCommentView.as_view(), name="moderation-comment"),
    path("moderation/users/<str:username>", community.ModerateUserView.as_view(), name="moderation-user"),
    path("moderation/actions", community.ModerationLogView.as_view(), name="moderation-actions"),
    path("notifications", community.NotificationsView.as_view(), name="notifications"),
    path("notifications/read", community.MarkReadView.as_view(), name="notifications-read"),
    path("posts/<str:post_id>/watch", community.PostWatchView.as_view(), name="post-watch"),
    path("categories/<str:slug>/watch", community.CategoryWatchView.as_view(), name="category-watch"),
    path("categories/<str:slug>/pinned", community.PinnedPostsView.as_view(), name="category-pinned"),
    path("watchlist", community.WatchlistView.as_view(), name="watchlist"),
    path("watchlist/<str:ticker>", community.FollowTickerView.as_view(), name="watchlist-ticker"),
    path("feed", community.FeedView.as_view(), name="feed"),
    path("cashtags/<str:ticker>", community.CashtagStatsView.as_view(), name="cashtag-stats"),
]
