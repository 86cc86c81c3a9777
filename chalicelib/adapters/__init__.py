"""Adapters: the store port over DynamoDB and in memory."""
