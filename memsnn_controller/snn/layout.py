"""Indices into the preallocated arrays shared by the compiled tick and its numpy reference.

The network's state lives in a few arrays so that one control tick is one compiled call with a
fixed argument list (see network.py for how they are built and kernels.py for how they are used).
"""

# syn[plane, input, post]: per-synapse planes.
W_POS = 0        # w+ of the differential pair
W_NEG = 1        # w-
SCALE_POS = 2    # device-to-device window factor of w+ (1 when off)
SCALE_NEG = 3    # ... of w-
W_EFF = 4        # gain_j * (s+ w+ - s- w-): what an input spike adds to the membrane
TRACE = 5        # eligibility trace e
TICK_ELIG = 6    # eligibility gathered within the current tick (window and MSTDPET rules)
PENDING_POS = 7  # 'accumulate' rounding: requested change of w+ not yet programmed
PENDING_NEG = 8  # ... of w-
N_SYN_PLANES = 9

# npar[row, post]: per-neuron constants.
BIAS = 0
NOISE = 1
RESET_VALUE = 2
RESET_EACH_TICK = 3
ETA = 4
TRACE_DECAY = 5  # lambda = exp(-control_period / tau_e) per tick
GROUP = 6        # GROUP_LEFT, GROUP_RIGHT, GROUP_V_POS, GROUP_V_NEG
GAIN = 7
N_NEURON_PARAMS = 8

GROUP_LEFT = 0
GROUP_RIGHT = 1
GROUP_V_POS = 2
GROUP_V_NEG = 3

# nst[row, post]: per-neuron state besides the membrane arrays. The membrane potential v, the
# refractory steps left, the spike count of the tick and the spike flags of the last step are
# separate 1-D arrays: the compiler vectorises the LIF step only over unaliased arrays.
POST_TRACE = 0   # MSTDPET P- (<= 0)
POST_HEAD = 1    # spike-history ring: next slot
POST_FILL = 2    # spike-history ring: entries held
N_NEURON_STATE = 3

# ist[row, input]: per-input state.
PHASE = 0        # regular-code phase accumulator
PRE_TRACE = 1    # MSTDPET P+
PRE_COUNT = 2    # spikes in the current tick
BOUND_ACTOR = 3  # max |e| over the row's actor columns (0 once zeroed)
BOUND_CRITIC = 4  # ... over its critic columns
LAST_SPIKE = 5   # step index of the last spike (-1e9 when none)
IS_LIVE = 6      # 1 while the row is in the live list
PRE_HEAD = 7
PRE_FILL = 8
N_INPUT_STATE = 9

# P[...]: scalar parameters.
P_SUBSTEPS = 0
P_DECAY = 1           # exp(-dt / tau_m)
P_THRESHOLD = 2
P_V_RESET = 3
P_REFRACTORY = 4      # steps
P_PHASE0 = 5
P_PHASE_RESET = 6
P_CODING = 7          # CODING_*
P_RATE_PER_STEP = 8   # max_rate * dt
P_LATENCY_STEPS = 9
P_LATENCY_MIN = 10
P_N_ACTOR = 11        # neurons per side
P_N_CRITIC = 12       # neurons per half
P_GAMMA = 13
P_VALUE_SCALE = 14
P_VBASE = 15
P_DEAD_ZONE = 16
P_PRE_NORM = 17
P_ELIGIBILITY = 18    # ELIG_*
P_ROLE_SIGN = 19
P_MODULATOR = 20      # MOD_*
P_DECODER = 21        # DECODER_*
P_FORCE_LIMIT = 22
P_TRACE_EPS = 23
P_LEVELS = 24
P_STOCHASTIC = 25
P_C2C = 26
P_W_FLOOR = 27
P_WRITE_THRESHOLD = 28
P_PRE_DECAY = 29      # MSTDPET exp(-dt / tau_plus)
P_POST_DECAY = 30     # MSTDPET exp(-dt / tau_minus)
P_A_PLUS = 31
P_A_MINUS = 32
P_WINDOW_STEPS = 33
P_TICK_GATED = 34
P_MAX_TRACE_DECAY = 35
P_PAIR_SPAN = 36      # steps a silent input's row stays live for pairing
P_ACCUMULATE = 37     # 1 for 'accumulate' rounding of quantized devices
N_PARAMS = 38

CODING_REGULAR = 0
CODING_POISSON = 1
CODING_LATENCY = 2
ELIG_ROLE = 0
ELIG_WINDOW = 1
ELIG_MSTDPET = 2
MOD_TD = 0
MOD_REWARD = 1
DECODER_DISCRETE = 0
DECODER_CONTINUOUS = 1

# cmd[...]: what the caller passes for this tick.
C_PHASE = 0           # PHASE_STEP, PHASE_TERMINAL, PHASE_TRUNCATED
C_REWARD = 1
C_EXTERNAL_M = 2
C_LEARN = 3
C_HAS_PREV = 4
N_CMD = 5

PHASE_STEP = 0
PHASE_TERMINAL = 1
PHASE_TRUNCATED = 2

# out[...]: what the tick returns.
O_ACTION = 0
O_FORCE = 1
O_VALUE = 2
O_MODULATOR = 3
O_WRITES = 4
O_N_LEFT = 5
O_N_RIGHT = 6
O_WROTE = 7           # 1 when the modulator passed the dead zone and devices were programmed
N_OUT = 8

# S[...]: scalar state carried between ticks.
S_TIME = 0            # neural steps since the start
S_V_PREV = 1
S_N_LIVE = 2
N_STATE = 3
