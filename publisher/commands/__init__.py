"""One module per command: a plain function that takes `Settings` and returns a typed result,
raising :mod:`publisher.errors` classes for everything that ends it early.

The command line imports each module only when its command runs, so `publisher check` never
loads the HTTP and GraphQL stack; this file therefore imports nothing.
"""
