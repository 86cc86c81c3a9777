"""Helpers shared by tests: emulated AWS resources built from infra/, loaders, builders."""
