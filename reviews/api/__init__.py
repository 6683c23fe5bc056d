"""The partner API's endpoints for reports and cases."""
