"""Offline experiments: online training runs and comparisons, their tables and figures; no ROS.

Modules: ``metrics`` (trailing-100 metrics, pure functions), ``runfolder`` (a run's files),
``training`` (the training loop, ``train``), ``train`` (the memsnn-train command), ``grid``
(grid specs, ``run_trial`` and the executors), ``report`` (results.csv, results.md, figures),
``compare`` (the memsnn-compare command), ``plots`` (matplotlib figures), ``overhead`` (the
training loop's per-step cost against agent.step and env.step).
"""
