"""Runtime: the composition root (the application), serving, the webhook and health listener."""
