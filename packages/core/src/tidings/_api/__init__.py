"""The application API: the sync and async stores, scopes and projection stores."""
