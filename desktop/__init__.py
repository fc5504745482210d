"""Custos desktop package."""
