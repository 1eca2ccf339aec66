"""Local development and the demo (`make demo`)."""

from geoapp.settings.base import *  # noqa: F403
from geoapp.settings.env import env_bool

DEBUG = env_bool("DEBUG", True)
