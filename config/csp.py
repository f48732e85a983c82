"""Content-Security-Policy. Pages get django-csp's policy from settings. JSON answers (the API,
autosave, counters) get a fixed policy that lets nothing load in them or frame them: a policy
governs documents, a JSON answer is never one, and building the page policy took a tenth of the
Python of an autosave, the most frequent request."""

from csp.middleware import CSPMiddleware as PageCSPMiddleware

HEADER = "Content-Security-Policy"
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"


class CSPMiddleware(PageCSPMiddleware):
    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith("application/json"):
            response.headers.setdefault(HEADER, JSON_POLICY)
            return response
        return super().process_response(request, response)
