from django.urls import include, path

from . import views

urlpatterns = [
    path("event", views.event),
    path("leaderboard", views.leaderboard),
    path("health", views.health),
    path("", include("engagehub_native.django.urls")),  # /metrics
]
