"""Pydantic models of the objects the API serves, with their JSON names: OpenShift's
image.openshift.io/v1 objects, RBAC role bindings, access tokens, secrets and triggers."""
