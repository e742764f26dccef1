from colorize.admin_hints import *  # noqa
