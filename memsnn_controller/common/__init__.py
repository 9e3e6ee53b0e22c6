"""Cross-cutting helpers that every layer may use and that import none of them: validation
(checks), atomic file writes (atomic), YAML 1.2 numbers (yaml_values), stop requests from
signals (stop) and child processes (processes)."""
