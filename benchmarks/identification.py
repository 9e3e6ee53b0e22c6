"""memsnn-identify's accuracy on bags of the rig simulator with known plants.

The three parameter sets of test/experiments/test_identification.py (the rig preset, a heavier
cart with more friction and coasts, a force motor with a longer delay; each simulated by the
PyBullet model under memsnn-identify --excite's excitation and written as the controller's
recorder writes a bag), identified with the references the test gives, with and without
--physics-step 0.004. Prints, per set, every fitted value against the truth.

Usage:
    python benchmarks/identification.py [--json PATH]
"""

import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test',
                                'experiments'))

from identify_support import FORCE, HEAVY, PHYSICS_STEP, RIG, case, write_bag  # noqa: E402

from memsnn_controller.experiments import identification as ident  # noqa: E402

MODES = {RIG: 'lockstep', HEAVY: 'realtime', FORCE: 'lockstep'}


def _truth(plant, name):
    if name == 'damping':
        return plant.friction + plant.actuator_gain * plant.k_emf
    return getattr(plant, name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--json', default=None, help='write the numbers to this file')
    args = parser.parse_args(argv)
    report = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in (RIG, HEAVY, FORCE):
            plant, settings, run = case(name)
            path = os.path.join(folder, name)
            write_bag(path, run, mode=MODES[name])
            recording = ident.read_bag(path)
            for step in (PHYSICS_STEP, 0.0):
                result = ident.identify(recording, ident.Settings(physics_step=step, **settings))
                known = ', '.join(f'{k}={v:g}' for k, v in settings['known'].items())
                coasts = len(settings.get('coasts', ()))
                print(f'\n{name} ({MODES[name]} bag; known {known}'
                      + (f'; {coasts} coasts' if coasts else '')
                      + f'; --physics-step {step:g})')
                print('| field | truth | fitted +- se | error |')
                print('|---|--:|--:|--:|')
                rows = []
                for e in result.estimates:
                    if e.how not in ('fitted', 'derived'):
                        continue
                    truth = _truth(plant, e.name)
                    error = (f'{(e.value - truth) * 1e3:+.2f} ms' if e.name == 'delay'
                             else f'{100 * (e.value / truth - 1):+.1f} %')
                    print(f'| {e.name} | {truth:.4g} | {e.value:.4g} +- {e.se:.2g} | {error} |')
                    rows.append({'field': e.name, 'truth': truth, 'value': e.value, 'se': e.se})
                print(f'R^2 cart {result.cart_r2:.4f}, pole {result.pole_r2:.4f}; prediction '
                      f'RMS x {result.prediction_rms[0]:.2g} m, theta '
                      f'{result.prediction_rms[1]:.2g} rad')
                report[f'{name}@{step:g}'] = {'rows': rows, 'cart_r2': result.cart_r2,
                                              'pole_r2': result.pole_r2}
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
