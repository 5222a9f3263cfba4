"""Benchmarks: seed a big synthetic database, serve it with gunicorn, load it with wrk (see README.md)."""
