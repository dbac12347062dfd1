"""URLs of the app: ``path("", include("engagehub_native.django.urls"))`` serves /metrics."""

from django.urls import path

from . import views

urlpatterns = [
    path("metrics", views.metrics, name="engagehub-metrics"),
]
