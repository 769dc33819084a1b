"""What handlers and jobs share: the services hub, the typed context and the scheduled jobs."""
