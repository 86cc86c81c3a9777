"""Adapters of the services' ports: over DynamoDB (streams, access, the change log,
triggers, the schedule, the publish ledger), with in-memory twins that run the same
contract tests; SNS, ECR, Secrets Manager; and the table stream's records decoded."""
