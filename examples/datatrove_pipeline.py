"""WARC files → boilerbench → filters → JSONL, as a datatrove pipeline.

    python examples/datatrove_pipeline.py IN_DIR OUT_DIR [--tasks N] [--workers N]
    python examples/datatrove_pipeline.py IN_DIR OUT_DIR --slurm --partition cpu --tasks 1000
    python examples/datatrove_pipeline.py IN_DIR OUT_DIR --ray --tasks 1000

IN_DIR and OUT_DIR may be local folders or any fsspec URL datatrove reads (s3://…, hf://…). Each
task reads its share of IN_DIR's `*.warc.gz` files; the classifier runs in datatrove's sandbox
process (per-document timeout, errors counted in the task's stats), one thread per task. datatrove's
logs and its record of completed tasks (a rerun skips those) go to OUT_DIR-logs unless --logs says
where: beside the output, never into the folder the script is run from.
"""

from __future__ import annotations

import argparse

from datatrove.pipeline.filters import LambdaFilter
from datatrove.pipeline.writers import JsonlWriter

from boilerbench.integrations.datatrove import BoilerbenchExtractor, BoilerbenchWarcReader


def pipeline(in_dir: str, out_dir: str, glob: str = "*.warc.gz") -> list:
    return [
        BoilerbenchWarcReader(in_dir, glob_pattern=glob),
        BoilerbenchExtractor(page_format="auto", timeout=5.0, add_metadata=True),
        LambdaFilter(lambda doc: len(doc.text.split()) >= 50),  # your filters here
        JsonlWriter(out_dir),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("in_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--glob", default="*.warc.gz")
    ap.add_argument("--tasks", type=int, default=1)
    ap.add_argument("--workers", type=int, default=-1, help="tasks running at once (local: default all)")
    ap.add_argument("--logs", default=None, help="datatrove's logging folder (default: OUT_DIR-logs)")
    ap.add_argument("--slurm", action="store_true")
    ap.add_argument("--partition", default="cpu")
    ap.add_argument("--ray", action="store_true")
    args = ap.parse_args()
    args.logs = args.logs or f"{args.out_dir.rstrip('/')}-logs"
    steps = pipeline(args.in_dir, args.out_dir, args.glob)
    if args.slurm:
        from datatrove.executor import SlurmPipelineExecutor

        executor = SlurmPipelineExecutor(
            pipeline=steps,
            tasks=args.tasks,
            time="10:00:00",
            partition=args.partition,
            cpus_per_task=1,
            mem_per_cpu_gb=2,
            logging_dir=args.logs,
            job_name="boilerbench",
        )
    elif args.ray:
        from datatrove.executor import RayPipelineExecutor

        executor = RayPipelineExecutor(pipeline=steps, tasks=args.tasks, logging_dir=args.logs)
    else:
        from datatrove.executor import LocalPipelineExecutor

        executor = LocalPipelineExecutor(pipeline=steps, tasks=args.tasks, workers=args.workers, logging_dir=args.logs)
    executor.run()


if __name__ == "__main__":
    main()
