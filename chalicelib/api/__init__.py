"""The HTTP face of the service: Kubernetes conventions over the services."""
