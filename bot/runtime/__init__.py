"""Runtime: settings, the application and its services, the webhook and health listener, serving."""
