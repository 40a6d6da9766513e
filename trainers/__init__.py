"""The trainer package: `python -m trainers <command> --spec spec.json`.

Commands: init-model, sft, rpo, retrieve. The runner writes the spec; this package writes the
outputs and `result.json` into the spec's output_dir and reports progress as JSON lines on stdout
(see protocol.py). It knows nothing about caching, plans or profiles: that is the runner's job.
"""
