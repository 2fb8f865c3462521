"""`offchain demo`: one job through the whole market on a local chain.

scenario.py is the story (deploy, data, base model, job, market, results, ledger),
processes.py starts and stops the role processes, report.py narrates and writes the
report folder, cli.py is the command. Fault injection lives with the tests
(tests/e2e/faults.py) and reaches the run through `scenario.DemoHooks`.
"""
