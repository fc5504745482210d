"""Custos cli package."""
