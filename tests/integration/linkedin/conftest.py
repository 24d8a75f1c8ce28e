from tests.support.linkedin import fake, pauses

__all__ = ["fake", "pauses"]
