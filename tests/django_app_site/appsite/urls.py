from django.urls import path

from . import views

urlpatterns = [
    path("event", views.event),
    path("leaderboard", views.leaderboard),
    path("health", views.health),
]
