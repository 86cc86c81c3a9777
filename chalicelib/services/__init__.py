"""Use cases over the store port: streams, tags, mappings, images."""
