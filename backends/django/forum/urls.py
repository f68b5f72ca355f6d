"""The routes of /api/v1, the same paths as the Flask blueprint (no trailing slashes)."""

from django.urls import path

from . import (
    account_views,
    block_views,
    docs_views,
    market_views,
    moderation_views,
    profile_views,
    subscription_views,
    upload_views,
    views,
)

app_name = "api"

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="register"),
    path("auth/login", views.LoginView.as_view(), name="login"),
    path("auth/two-factor", views.TwoFactorView.as_view(), name="two-factor"),
    path("auth/two-factor/setup", views.TwoFactorSetupView.as_view(), name="two-factor-setup"),
    path("auth/two-factor/enable", views.TwoFactorEnableView.as_view(), name="two-factor-enable"),
    path("auth/two-factor/disable", views.TwoFactorDisableView.as_view(), name="two-factor-disable"),
    path("posts", views.PostListView.as_view(), name="posts"),
    path("posts/<str:post_id>", views.PostView.as_view(), name="post"),
    path("posts/<str:post_id>/comments", views.CommentListView.as_view(), name="comments"),
    path("categories", views.CategoryListView.as_view(), name="categories"),
    path("stats/categories", views.CategoryStatsView.as_view(), name="category-stats"),
    path("healthz", views.HealthView.as_view(), name="healthz"),
    path("openapi.json", views.OpenApiView.as_view(), name="openapi"),
    path("docs", docs_views.DocsView.as_view(), name="docs"),
    path("docs/<path:path>", docs_views.DocsAssetView.as_view(), name="docs-asset"),
    # profiles, moderation, subscriptions and market (finboard/api/profiles.py, moderation.py, ...)
    # account recovery and the address (finboard/api/accounts.py), before users/<username>
    path("auth/password-reset", account_views.PasswordResetRequestView.as_view(), name="password-reset"),
    path("auth/password-reset/confirm", account_views.PasswordResetView.as_view(), name="password-reset-confirm"),
    path("auth/email/verify", account_views.VerifyEmailView.as_view(), name="email-verify"),
    path("auth/email/confirm", account_views.ConfirmEmailChangeView.as_view(), name="email-confirm"),
    path("users/me/email", account_views.ChangeEmailView.as_view(), name="email-change"),
    path("users/me/email/verification", account_views.ResendVerificationView.as_view(), name="email-verification"),
    path("users/<str:username>", profile_views.UserView.as_view(), name="user"),
    path("users/<str:username>/comments", profile_views.UserCommentsView.as_view(), name="user-comments"),
    path("posts/<str:post_id>/revisions", profile_views.RevisionsView.as_view(), name="post-revisions"),
    path("reports", moderation_views.ReportsView.as_view(), name="reports"),
    path("moderation/reports", moderation_views.ModerationReportsView.as_view(), name="moderation-reports"),
    path(
        "moderation/reports/<str:report_id>/resolve",
        moderation_views.ResolveReportView.as_view(),
        name="moderation-resolve-report",
    ),
    path("moderation/posts/<str:post_id>", moderation_views.ModeratePostView.as_view(), name="moderation-post"),
    path(
        "moderation/comments/<str:comment_id>",
        moderation_views.ModerateCommentView.as_view(),
        name="moderation-comment",
    ),
    path("moderation/users/<str:username>", moderation_views.ModerateUserView.as_view(), name="moderation-user"),
    path("moderation/actions", moderation_views.ModerationLogView.as_view(), name="moderation-actions"),
    path("notifications", subscription_views.NotificationsView.as_view(), name="notifications"),
    path("notifications/read", subscription_views.MarkReadView.as_view(), name="notifications-read"),
    path(
        "notifications/preferences",
        subscription_views.NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
    path("posts/<str:post_id>/watch", subscription_views.PostWatchView.as_view(), name="post-watch"),
    path("categories/<str:slug>/watch", subscription_views.CategoryWatchView.as_view(), name="category-watch"),
    path("categories/<str:slug>/pinned", market_views.PinnedPostsView.as_view(), name="category-pinned"),
    path("watchlist", subscription_views.WatchlistView.as_view(), name="watchlist"),
    path("watchlist/<str:ticker>", subscription_views.FollowTickerView.as_view(), name="watchlist-ticker"),
    path("feed", subscription_views.FeedView.as_view(), name="feed"),
    path("blocks", block_views.BlocksView.as_view(), name="blocks"),
    path("blocks/<str:username>", block_views.BlockView.as_view(), name="block"),
    path("mutes", block_views.MutesView.as_view(), name="mutes"),
    path("mutes/words/<str:term>", block_views.MuteView.as_view(kind="word"), name="mute-word"),
    path("mutes/tickers/<str:term>", block_views.MuteView.as_view(kind="ticker"), name="mute-ticker"),
    path("cashtags/<str:ticker>", market_views.CashtagStatsView.as_view(), name="cashtag-stats"),
    path("uploads", upload_views.UploadView.as_view(), name="uploads"),
    path("preview", upload_views.PreviewView.as_view(), name="preview"),
]
