"""leadflow: a self-hosted lead lifecycle engine."""

__version__ = "0.1.0"
