"""Adapters that put the boilerbench classifier into other tools' pipelines (optional dependencies)."""
