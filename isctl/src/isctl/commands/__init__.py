"""One module per group of commands; cli.py registers them."""
