"""`make deploy` and `make destroy`, run against the AWS emulator's CloudFormation."""
