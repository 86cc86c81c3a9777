"""Domain rules: pure functions over the resource types. No AWS, no HTTP."""
