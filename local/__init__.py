"""The service on one machine: the AWS emulator, the app, and what AWS would run around it."""
