"""A third-party adapter written the way an outside author would."""
