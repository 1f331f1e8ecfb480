"""Expand a Tempita template (``*.tp``) for the build: ``python tools/tempita.py TEMPLATE
OUTPUT [NAME=VALUE ...]`` writes the template rendered with the given string variables."""

import argparse
import pathlib

from Cython import Tempita


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("template", type=pathlib.Path)
    parser.add_argument("output", type=pathlib.Path)
    parser.add_argument("variables", nargs="*", metavar="NAME=VALUE")
    arguments = parser.parse_args()
    variables = dict(item.split("=", 1) for item in arguments.variables)
    template = Tempita.Template(arguments.template.read_text(), name=str(arguments.template))
    arguments.output.write_text(template.substitute(**variables))


if __name__ == "__main__":
    main()
