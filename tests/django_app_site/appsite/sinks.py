"""A sink given as a dotted path (``ENGAGEHUB_NATIVE["sink"] = "appsite.sinks.to_file"``)."""

import json
import os


def to_file(batch):
    """Append each event as one JSON line to $ENGAGEHUB_SINK_FILE."""
    with open(os.environ["ENGAGEHUB_SINK_FILE"], "a") as f:
        f.writelines(json.dumps(event) + "\n" for event in batch)
