"""FastAPI risk-score service for monitoring systems."""
