"""Custos vault package."""
