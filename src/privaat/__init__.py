"""privaat: a provider's privacy policy as code, enforced at run time."""

__version__ = "0.1.0"
