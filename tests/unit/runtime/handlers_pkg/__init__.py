"""A tiny service package for the handler-collection test."""
