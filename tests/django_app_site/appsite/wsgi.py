"""WSGI entry point: ``gunicorn appsite.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "appsite.settings")

application = get_wsgi_application()
