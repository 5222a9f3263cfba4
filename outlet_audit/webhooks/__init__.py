"""Webhooks: an organisation's endpoints hear, signed and retried, when certificates and applications change.

`events` names the events (pure); `signature` signs and verifies a body (pure, the documented
scheme); `addresses` refuses URLs that would reach the server's own network (SSRF);
`models` holds endpoints, events, deliveries and their attempts; `payloads` writes what an event
says; `publishing.publish` is the one call the certificate and workflow operations make;
`delivery` is the job that POSTs a delivery; `endpoints` the management operations; `views`
the management pages.
"""
