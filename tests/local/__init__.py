"""The local stack (make run) and the deployment template (infra/)."""
