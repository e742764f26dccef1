from django.apps import AppConfig


class ColorizeConfig(AppConfig):
    name = "colorize"
