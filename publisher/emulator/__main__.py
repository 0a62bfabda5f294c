"""``python -m publisher.emulator``: the emulator command on its own."""

from publisher.emulator.command import emulator

emulator(prog_name="python -m publisher.emulator")
