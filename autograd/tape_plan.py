"""Old home of the tape's replays; they live in the :mod:`autograd.tape` package now.

``from autograd.tape_plan import GroupedPlan, Interpreter`` keeps working.

>>> from autograd.tape_plan import GroupedPlan
>>> GroupedPlan.__module__
'autograd.tape.plan'
"""

from .tape.interpreter import Interpreter
from .tape.plan import GroupedPlan

__all__ = ["Interpreter", "GroupedPlan"]
