"""How the learning core's kernels are compiled: one decorator for every numba function they run.

    @kernel                      numba.njit(cache=True, _nrt=False, error_model='numpy')
    @kernel(inline='always')     the same, inlined into its caller by numba

- cache=True: a cold compile of the tick takes about 15 s; the cache under __pycache__ makes a
  fresh process load it in well under a second (tests, ROS nodes, every experiment worker).
- _nrt=False: compiled without numba's runtime, so without reference counting of arrays. The
  kernels allocate nothing (a kernel that tried would no longer compile), and numba would
  otherwise count references to every array of every NamedTuple argument on entry to and exit
  from each helper: about 100 atomic operations per helper call, 20 helper calls per tick, which
  made the named-state tick 80 % slower than the positional one it replaced (measured). numba
  has no public name for this target option; test_state checks that it is in force.
- error_model='numpy': a float division by zero gives inf or nan instead of raising. The kernels
  never divide by zero (their divisors are validated sizes and rates), and code without Python
  exception paths leaves numba's optimizer freer.
"""

from collections.abc import Callable
import functools
from typing import TYPE_CHECKING, Any, TypeVar, overload

import numba

if TYPE_CHECKING:
    # For the type checker a kernel is its Python function, so calls are checked against its own
    # signature (mypy does not read numba, which would make every kernel Any; mypy.ini).
    _F = TypeVar('_F', bound=Callable[..., Any])

    @overload
    def kernel(function: _F, /) -> _F: ...
    @overload
    def kernel(*, inline: str) -> Callable[[_F], _F]: ...
    def kernel(function: Any = None, /, **options: Any) -> Any: ...
else:
    kernel = functools.partial(numba.njit, cache=True, _nrt=False, error_model='numpy')

