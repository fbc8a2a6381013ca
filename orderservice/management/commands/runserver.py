from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as StaticfilesRunserver


class Command(StaticfilesRunserver):
    """`runserver` that listens on HOST:PORT from the settings (0.0.0.0:5001 unless configured)."""

    default_addr = settings.HOST
    default_port = settings.PORT
