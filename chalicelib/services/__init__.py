"""Use cases over the ports (`ports.py`): streams, tags, mappings, images and history;
imports and their schedule; pushes (registry webhook, ECR); triggers and the tag-change
messages; watches; access (tokens, role bindings, registry tokens) and secrets. Every
write is told who it acts for (`actor.py`)."""
