"""Everything that touches the database: models and the named queries behind the API."""

from .models import JOB_STATUSES, SOURCE_KINDS, VERDICTS, Job, Sighting, Source, utcnow

__all__ = ["JOB_STATUSES", "SOURCE_KINDS", "VERDICTS", "Job", "Sighting", "Source", "utcnow"]
