"""A third-party adapter written the way an outside author would: only ``tidings.adapters``
and the docs, no tidings adapter's source. Its backend is a key-value store whose one
atomic operation is compare-and-set, so it publishes through ``OptimisticAdapter``."""
