#!/usr/bin/env python3
"""Make a harder variant of a cbm-dataset/1 file: variant.py DATASET.json MODE > OUT.json
MODE: untagged (needs keep only title/description/country/languages/delivery; topics, assistance
types and audiences emptied), onetopic (needs keep only their first topic, no assistance/audience)."""

import json
import sys

data = json.load(open(sys.argv[1]))
mode = sys.argv[2]
for n in data["needs"]:
    if mode == "untagged":
        n["topics"], n["assistance_types"], n["audiences"] = [], [], []
    elif mode == "onetopic":
        n["topics"], n["assistance_types"], n["audiences"] = n["topics"][:1], [], []
    else:
        raise SystemExit("unknown mode")
json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
