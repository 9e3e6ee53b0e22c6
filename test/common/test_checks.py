"""common.checks: the one validation helper of configs, environment settings and parameters."""

import math

import pytest

from memsnn_controller.common import checks


@pytest.mark.parametrize('check, good, bad', [
    (checks.number, [0, -2.5, 1e300], [math.nan, math.inf, True, '1', None]),
    (checks.positive, [1e-9, 3], [0, -1, math.inf, False]),
    (checks.non_negative, [0, 0.0, 2], [-1e-12, math.nan]),
    (checks.above(1), [1.5], [1, 0.5]),
    (checks.in_range(0, 1), [0, 0.5, 1], [-0.1, 1.1, math.nan, True]),
    (checks.in_range(0, 1, high_open=True), [0, 0.999], [1]),
    (checks.above_zero(60.0, ' s'), [60.0, 1e-6], [0, 60.5]),
    (checks.integer(2), [2, 10**12], [1, 2.0, True]),
    (checks.integer(0, 1000), [0, 1000], [-1, 1001]),
    (checks.one_of('a', 'b'), ['a', 'b'], ['c', None]),
    (checks.boolean, [True, False], [0, 1, 'true']),
    (checks.numbers(4), [[0, 0.1, 0, 0], (1, 2, 3, 4)], [[0.1, 0.1], [0, 0, 0, -1], 3.0, 'abcd']),
    (checks.non_empty_text('joint name'), ['cart'], ['', '  ', 7]),
])
def test_checks_accept_and_refuse(check, good, bad):
    assert all(check(value) is None for value in good)
    for value in bad:
        reason = check(value)
        assert isinstance(reason, str) and reason.startswith('must'), (value, reason)


def test_the_reasons_say_what_is_expected():
    assert checks.in_range(0.001, 1.0, ' s')(5) == 'must be in [0.001, 1.0] s'
    assert checks.above_zero(1e6, ' N')(-1.0) == 'must be in (0, 1000000.0] N'
    assert checks.in_range(0, 1, high_open=True)(1) == 'must be in [0, 1)'
    assert checks.integer(1)(0) == 'must be an integer >= 1'
    assert checks.one_of('ppx', 'nc')('x') == "must be one of 'ppx', 'nc'"


def test_problem_names_the_field_and_the_value():
    assert checks.problem('actor.eta', -1, checks.non_negative) == \
        'actor.eta: must be >= 0 (got -1)'
    assert checks.problem('actor.eta', 0.1, checks.non_negative, checks.in_range(0, 1)) is None
    # the first failing check speaks
    assert checks.problem('x', 'a', checks.number, checks.positive) == \
        "x: must be a finite number (got 'a')"
    assert checks.describe('override', 'has no field name') == 'override: has no field name'


def test_require_raises_the_callers_error_class():
    class MyError(ValueError):
        pass

    assert checks.require('gain', 2.0, checks.positive) == 2.0
    with pytest.raises(MyError, match=r'^gain: must be > 0 \(got 0\)$'):
        checks.require('gain', 0, checks.positive, error=MyError)
    with pytest.raises(ValueError, match=r'^reset: must be below the threshold \(got 2\)$'):
        checks.require_that(2 < 1, 'reset', 'must be below the threshold', 2)
    checks.require_that(True, 'reset', 'never said')
