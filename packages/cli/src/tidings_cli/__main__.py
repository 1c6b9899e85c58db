"""``python -m tidings_cli``: the ``tidings`` command, where no script is installed."""

from tidings_cli.main import cli

cli(prog_name="tidings")
