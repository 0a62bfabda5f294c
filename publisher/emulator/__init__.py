"""A local emulator of Plain's help-center API, for development and tests.

Build the app in-process with ``publisher.emulator.app.create_app``; run it as a server
with the ``emulator`` command in ``publisher.emulator.command``.
"""
