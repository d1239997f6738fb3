"""dfctl: configuration as code for the city Digital Finance platform."""

__version__ = "0.1.0"
API_VERSION = "dfp.config/v1"
