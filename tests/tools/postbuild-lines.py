#!/usr/bin/env python3
"""Prints the CubeIDE post-build command lines of docs/moving-your-app.md, section "Post-build
step", one per line: argv[1] 'linux' (lines starting /path/to/stickboot/) or 'windows' (lines
starting "C:\\stickboot\\), in the order the document shows them."""
import re
import sys

text = open("docs/moving-your-app.md").read()
section = text.split("### Post-build step: make IMAGE.BIN", 1)[1].split("\n## ", 1)[0]
lead = {"linux": "/path/to/stickboot/", "windows": '"C:\\stickboot\\'}[sys.argv[1]]
for block in re.findall(r"```\n(.*?)```", section, re.S):
    for line in block.splitlines():
        if line.startswith(lead):
            print(line)
