from tests.jobs_helpers import queue_app, redis_url  # noqa: F401 - fixtures for tests/jobs
