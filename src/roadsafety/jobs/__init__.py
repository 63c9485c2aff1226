"""The unattended batch job: inbox → ingest → checks → retrain → promote → forecast → outbox exports."""
