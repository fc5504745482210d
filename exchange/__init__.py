"""Custos exchange package."""
