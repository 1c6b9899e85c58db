"""The value model: identifiers, events, conditions, projections. No I/O."""
