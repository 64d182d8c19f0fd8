#!/usr/bin/env python3
"""Reads JSON flows, one object a line (as kcat prints the kafka sink's
messages), with Python's own json module, and prints them as CSV rows in the
order of the columns given: what csv_writer prints for the same flows with
proto_names = false. A null (an element the flow lacks) prints as the
column's cell in the row given second, csv_writer's row of a record with
nothing set. Exits 1 at the first line that is not an object with at least
those keys."""
import json
import sys

columns = sys.argv[1].split(",")
absent = dict(zip(columns, sys.argv[2].split(",")))
for number, line in enumerate(sys.stdin, 1):
    flow = json.loads(line)
    if not isinstance(flow, dict) or not set(columns) <= set(flow):
        sys.exit(f"line {number}: not an object with the keys {columns}: {line}")
    cells = []
    for column in columns:
        value = flow[column]
        if value is None:
            cells.append(absent[column])
        elif isinstance(value, float):
            cells.append(f"{value:.3f}")  # duration, seconds with milliseconds
        else:
            cells.append(str(value))
    print(",".join(cells))
