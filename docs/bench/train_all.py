"""Every data set with `chainrule train`'s defaults: test accuracy and time, as a table.

    .venv/bin/python docs/bench/train_all.py [DATASET ...]   # default: all six

Runs ``chainrule train --dataset NAME --out runs/NAME --no-progress --overwrite`` for each
data set (digits needs the "digits" extra) and prints a Markdown table from each
run's metrics.json.  Wall time depends on the machine's load; CPU time less so.
"""

import json
import sys
from pathlib import Path

from chainrule.cli import main as chainrule

ALL = ["moons", "circles", "spiral", "xor", "blobs", "digits"]


def main(names) -> int:
    rows = []
    for name in names or ALL:
        out = Path("runs") / name
        # --overwrite: the table reports this run, even where an earlier one scored better
        code = chainrule(["train", "--dataset", name, "--out", str(out), "--no-progress",
                          "--overwrite"])
        if code != 0:
            print(f"chainrule train --dataset {name} failed with exit code {code}")
            return code
        m = json.loads((out / "metrics.json").read_text())
        s = m["settings"]
        rows.append(f"| {name} | {s['hidden_sizes']} {s['activation']} | "
                    f"{m['epochs_run']} | {m['accuracy']['train']:.1%} | "
                    f"{m['accuracy']['val']:.1%} | **{m['accuracy']['test']:.1%}** | "
                    f"{m['train_seconds']:.0f} s | {m['train_cpu_seconds']:.0f} s |")
    print("\n| data set | hidden | epochs | train | validation | test | wall time | CPU time |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
