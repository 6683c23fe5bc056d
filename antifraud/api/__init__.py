"""The partner API's shared machinery (authentication, throttling, errors, JSON parsing) and
its endpoints for look-up, gray-list proposals and the event feed."""
