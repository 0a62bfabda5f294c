"""`publisher preview`: build once, serve on loopback, rebuild what a save changes, reload
the open pages."""
