"""Exit checks as plain functions: inputs in, a ``lakehouse.outcome.Outcome`` out.

Each check module reads (talks to the target), judges (a pure function over what was read) and
composes the two in ``check_*``; steps call the composed check, tests call it on broken stacks.
Nothing here imports pytest.
"""
