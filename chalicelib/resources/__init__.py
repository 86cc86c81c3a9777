"""Pydantic models of the image.openshift.io/v1 objects, with OpenShift's JSON names."""
