"""Offline experiments: online training runs and comparisons, their tables and figures; no ROS.

Modules: ``metrics`` (trailing-100 metrics and the run summary, pure functions), ``runfolder`` (a
run's files and the guard of its folder), ``training`` (the training loop, ``train``), ``grid``
(grid specs, ``run_trial`` and the executors), ``ray_backend`` (the grid on Ray), ``report``
(results.csv, results.md, figures), ``plots`` (matplotlib figures), ``overhead`` (the training
loop's per-step cost against agent.step and env.step). The commands memsnn-train and
memsnn-compare are in apps/.
"""
