"""The service, in layers that import only inward:

- `resources/`: the API's objects as pydantic models; `domain/`: pure rules over them;
- `services/`: the use cases over ports (`services/ports.py`), each told who it acts for;
- `adapters/`: the ports over DynamoDB, SNS, ECR and Secrets Manager, and in memory;
- `registry/`: the client that reads images from registries;
- `api/` (HTTP) and `entrypoints/` (table stream, ECR events, schedules): the functions
  app.py wires, over the services that `wiring.py`, the composition root, builds;
- `console/`: the web console's static page; `logs.py`, `metrics.py`: what every
  function writes; `first_admin.py`, `backfill.py`: commands run against a table.
"""
