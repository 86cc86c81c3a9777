"""isctl: OpenShift's `oc` image stream commands against the imagestreams service."""

__version__ = "0.1.0"
