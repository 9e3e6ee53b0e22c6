"""The encoder section: state -> input spike trains."""

from dataclasses import dataclass
import math
from typing import Literal

from memsnn_controller.common import checks
from memsnn_controller.snn.config.base import (
    _edges,
    _index_pair,
    _pair,
    _require,
    _require_that,
    _Section,
)

DEG = math.pi / 180.0

Segment = Literal['boxes', 'gaussian', 'grid']
Coding = Literal['regular', 'poisson', 'latency']


# The Barto-Sutton-Anderson (1983) boxes: 3 x 3 x 6 x 3 = 162 regions of the state space.
BSA_BOX_EDGES = (
    (-0.8, 0.8),                                # x (m)
    (-0.5, 0.5),                                # x_dot (m/s)
    (-6 * DEG, -1 * DEG, 0.0, 1 * DEG, 6 * DEG),  # theta (rad)
    (-50 * DEG, 50 * DEG),                      # theta_dot (rad/s)
)

STATE_NAMES = ('x', 'x_dot', 'theta', 'theta_dot')


@dataclass(frozen=True)
class EncoderConfig(_Section):
    """State -> input spike trains.

    segments: which encoders feed the input layer, concatenated in this order:
      'boxes'    one input per box of the product of bins over ``box_edges`` (one fires at a time);
      'gaussian' ``fields`` Gaussian receptive fields per state variable over ``ranges``;
      'grid'     one input per cell of a ``grid_bins`` x ``grid_bins`` grid over each pair in
                 ``grid_pairs`` (uniform cells over ``ranges``; values clipped into the grid).
    coding: 'regular' (a deterministic phase accumulator per input, reset to ``phase`` at every
      tick start when ``phase_reset``), 'poisson' (a spike with probability rate*dt per step) or
      'latency' (one spike per tick, earlier for stronger activation:
      t = latency_max_ms * (1 - activation), none below ``latency_min_activation``).
    """

    segments: tuple[Segment, ...] = ('boxes',)
    coding: Coding = 'regular'
    max_rate_hz: float = 200.0
    phase: float = 0.5
    phase_reset: bool = True
    box_edges: tuple[tuple[float, ...], ...] = BSA_BOX_EDGES
    ranges: tuple[tuple[float, float], ...] = ((-2.4, 2.4), (-3.0, 3.0), (-12 * DEG, 12 * DEG),
                                               (-3.5, 3.5))
    fields: int = 15
    field_width: float = 1.0
    grid_pairs: tuple[tuple[int, int], ...] = ((2, 3),)
    grid_bins: int = 7
    latency_max_ms: float = 15.0
    latency_min_activation: float = 0.1

    _path = 'encoder'

    def validate(self) -> None:
        self._require_that(isinstance(self.segments, tuple) and len(self.segments) >= 1,
                           'segments', 'must be a non-empty list')
        for seg in self.segments:
            _require(self._field('segments'), seg, checks.one_of('boxes', 'gaussian', 'grid'))
        self._require_that(len(set(self.segments)) == len(self.segments), 'segments',
                           'lists a segment twice')
        self._require('coding', checks.one_of('regular', 'poisson', 'latency'))
        self._require('max_rate_hz', checks.positive)
        self._require('phase', checks.in_range(0, 1, high_open=True))
        self._require_that(isinstance(self.box_edges, tuple) and len(self.box_edges) == 4,
                           'box_edges', 'must hold one list of edges per state variable (4)')
        for name, edges in zip(STATE_NAMES, self.box_edges):
            _require(self._field(f'box_edges.{name}'), edges, _edges)
        self._require_that(isinstance(self.ranges, tuple) and len(self.ranges) == 4, 'ranges',
                           'must hold one (low, high) per state variable (4)')
        for name, r in zip(STATE_NAMES, self.ranges):
            _require(self._field(f'ranges.{name}'), r, _pair())
            _require_that(r[0] < r[1], self._field(f'ranges.{name}'), 'must have low < high', r)
        self._require('fields', checks.integer(2))
        self._require('field_width', checks.positive)
        self._require_that(isinstance(self.grid_pairs, tuple) and len(self.grid_pairs) >= 1,
                           'grid_pairs', 'must be a non-empty list of variable index pairs')
        for pair in self.grid_pairs:
            _require(self._field('grid_pairs'), pair, _index_pair)
        self._require('grid_bins', checks.integer(2))
        self._require('latency_max_ms', checks.positive)
        self._require('latency_min_activation', checks.in_range(0, 1, high_open=True))
