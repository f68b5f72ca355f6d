"""The root URLconf: /api/v1 and nothing else; every error answers in the API's shape."""

from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("backends.django.forum.urls")),
]

handler400 = "backends.django.forum.views.bad_request"
handler404 = "backends.django.forum.views.not_found"
handler500 = "backends.django.forum.views.server_error"
