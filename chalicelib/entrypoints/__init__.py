"""The event entry points beside the API (`..api`): the functions app.py wires to the
table's stream (`table_events`), ECR push events (`push_events`) and the EventBridge
schedules (`schedule_events`). Each is a few lines over the services from `..wiring`."""
