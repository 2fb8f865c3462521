"""Run a brownie-style rules class (st_* strategies, rule_*/invariant_* methods, a
class-method-like __init__ and a setup) as a hypothesis state machine.

Why not brownie's `state_machine` fixture: in eth-brownie 1.22.2 brownie.test.stateful is
compiled with mypyc, and its `_BrownieStateMachine.__init__` rejects the subclass it
generates (TypeError "_BrownieStateMachine object expected"). This is the same logic in
plain Python: snapshot once, revert the chain before every example.
"""

from inspect import getmembers
from types import FunctionType

from brownie import chain
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from hypothesis.strategies import SearchStrategy


class _ChainMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        chain.revert()
        super().__init__()
        if hasattr(self, "setup"):
            self.setup()


def run_state_machine(rules: type, *args, max_examples: int, step_count: int) -> None:
    strategies = {k: v for k, v in getmembers(rules) if isinstance(v, SearchStrategy)}
    machine = type(rules.__name__, (_ChainMachine, rules), {})
    for name, fn in list(vars(rules).items()):
        if type(fn) is not FunctionType:
            continue
        params = fn.__code__.co_varnames[1 : fn.__code__.co_argcount]
        if name.startswith("rule_"):
            setattr(machine, name, rule(**{p: strategies[p] for p in params})(fn))
        elif name.startswith("invariant_"):
            setattr(machine, name, invariant()(fn))
    rules.__init__(machine, *args)  # brownie's convention: __init__ receives the class
    chain.snapshot()
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=step_count,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
