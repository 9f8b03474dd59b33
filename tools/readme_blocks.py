#!/usr/bin/env python3
"""Regenerate the README blocks that tests compare with the CLI: `align --help` options, `evaluate --list-metrics`,
`evaluate --help` options. Run from the repository root after ./sightline is built: python3 tools/readme_blocks.py"""
import re, subprocess

def run(*args):
    return subprocess.run(["./sightline", *args], capture_output=True, text=True, check=True).stdout

def options(help_text):
    return help_text.split("Options:\n", 1)[1].rstrip("\n")

readme = open("README.md", encoding="utf-8").read()

def replace_block(text, heading, body):
    # The fenced block right after the heading.
    i = text.index(heading)
    a = text.index("```text\n", i) + len("```text\n")
    b = text.index("```", a)
    return text[:a] + body + "\n" + text[b:]

readme = replace_block(readme, "### All options of `align`", options(run("align", "--help")))
readme = replace_block(readme, "### All options of `evaluate`", options(run("evaluate", "--help")))
table = run("evaluate", "--list-metrics").rstrip("\n")
i = readme.index("### Metrics of `evaluate`")
a = readme.index("| metric | family | direction |", i)
b = readme.index("\n\n", a)
readme = readme[:a] + table + readme[b:]
open("README.md", "w", encoding="utf-8").write(readme)
print("README blocks regenerated")
