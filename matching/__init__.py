"""Custos matching package."""
