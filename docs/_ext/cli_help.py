"""Sphinx directive ``.. cli-help:: [COMMAND]``: the help of ``sk-deepsense [COMMAND]``.

It is rendered from the real argument parser at build time, so the CLI reference can never
go stale.
"""

from __future__ import annotations

import os

from docutils import nodes
from docutils.parsers.rst import Directive


class CLIHelp(Directive):
    """Insert the help of the ``sk-deepsense`` command (or one sub-command) as a code block."""

    optional_arguments = 1

    def run(self):
        """Return the help text as a literal block."""
        from sk_deepsense.cli import COMMANDS, build_parser, command_parser

        command = self.arguments[0] if self.arguments else None
        os.environ["COLUMNS"] = "88"  # argparse wraps at the terminal width
        parser = build_parser()  # every command, benchmark included, is a sub-parser
        if command is not None:
            try:
                parser = command_parser(parser, command)
            except KeyError:
                names = ", ".join(c.__name__.rsplit(".", 1)[-1] for c in COMMANDS)
                message = f"no sk-deepsense command {command!r}; commands: {names}"
                raise self.error(message) from None
        text = parser.format_help()
        node = nodes.literal_block(text, text)
        node["language"] = "text"
        return [node]


def setup(app):
    """Register the directive."""
    app.add_directive("cli-help", CLIHelp)
    return {"parallel_read_safe": True, "version": "1"}
