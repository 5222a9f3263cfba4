from tests.jobs_helpers import module_queue_app, queue_app, redis_url  # noqa: F401 - fixtures for tests/jobs
