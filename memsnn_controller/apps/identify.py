"""memsnn-identify: fit a cart-pole rig's plant (delay, frictions, motor, masses) to a recording.

    memsnn-identify runs/rig/rosbag --out my_rig.yaml --known k_force=1.72 --known k_emf=7.72
    memsnn-identify BAG --out my_rig.yaml --motor force --known cart_mass=0.8
    memsnn-identify BAG --out my_rig.yaml --known cart_mass=0.57 --coast 31.5:32.4
    memsnn-identify --excite --plant rig --csv excitation.csv

Reads a rosbag2 folder (MCAP, as the controller's record_path or memsnn-bringup --record write
it; or SQLite) holding the rig's joint states (sensor_msgs/JointState; positions suffice,
velocities may be NaN) and the commands sent to it (std_msgs/Float64MultiArray, one value: volts
for --motor dc, newtons for --motor force), driven by any excitation that moves the cart both
ways at several speeds and swings the pole (--excite describes one). Writes the plant file OUT
(what --plant takes), a figure next to it (OUT with .png: measured vs predicted trajectories and
the delay scan), and prints every estimate with its uncertainty.

The scale of the forces is not in motion and commands: one reference is needed, --known
cart_mass=KG (weighed), pole_mass=KG, or k_force=N/V (a DC motor's data sheet); a force motor
defaults to actuator_gain 1 (the amplifier delivers the commanded newtons). A DC motor's k_emf
and the cart's viscous friction are seen only as a sum unless --known k_emf (or friction) or
--coast (a stretch with the amplifier disabled) separates them. docs/experiments.md, section 6.

Exit codes: 0 written; 2 bad arguments, or a bag that cannot be identified from (one line on
stderr, nothing written).
"""

import argparse
from collections.abc import Sequence
import math
import os
import sys
from typing import TYPE_CHECKING

from memsnn_controller.apps.cli import EXIT_USAGE, fail

if TYPE_CHECKING:
    from memsnn_controller.control.excitation import Excitation
    from memsnn_controller.envs.plant_file import PlantFile

PROG = 'memsnn-identify'


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split('\n\n')[0].split(': ', 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('bag', nargs='?', help='a rosbag2 folder with joint states and commands')
    p.add_argument('--out', metavar='FILE', help='the plant file to write (YAML)')
    p.add_argument('--motor', choices=('dc', 'force'), default=None,
                   help="what the commands are: 'dc' volts to a DC motor's amplifier (the "
                        "default), 'force' newtons")
    p.add_argument('--known', action='append', default=[], metavar='NAME=VALUE',
                   help='a value known beforehand (repeatable): cart_mass, pole_mass, k_force, '
                        'k_emf, friction, actuator_gain, gravity (default 9.81), voltage_limit, '
                        'force_limit')
    p.add_argument('--coast', action='append', default=[], metavar='START:END',
                   help="seconds from the bag's first joint state during which the amplifier "
                        'was disabled (no motor force): separates k_emf from friction')
    p.add_argument('--physics-step', type=float, default=0.0, metavar='S',
                   help="a simulator's bag: its physics step (this package's simulator: "
                        'control_period / physics substeps, 0.004 at 50 Hz), which makes its '
                        'cart act lighter by damping x step / 2 and its delay half a step '
                        'shorter; the fit undoes both. 0 (default): a real rig')
    p.add_argument('--max-delay', type=float, default=0.2, metavar='S',
                   help='the longest delay considered (default 0.2 s)')
    p.add_argument('--cart-joint', default='slider_to_cart', help='(default slider_to_cart)')
    p.add_argument('--pole-joint', default='cart_to_pole', help='(default cart_to_pole)')
    p.add_argument('--joint-topic', default=None,
                   help='default: the JointState topic (one ending in joint_states first)')
    p.add_argument('--command-topic', default=None,
                   help='default: the Float64MultiArray topic (one ending in commands first)')
    p.add_argument('--no-figure', action='store_true', help='do not draw OUT.png')
    p.add_argument('--excite', action='store_true',
                   help='describe an excitation for a rig instead (with --csv, write it)')
    p.add_argument('--plant', default=None, metavar='NAME|PATH',
                   help='--excite: the plant file it is sized and checked on (default rig for '
                        'a DC motor, cartpole_v1 for a force motor)')
    p.add_argument('--limit', type=float, default=None, metavar='V|N',
                   help="--excite: the command's limit (default the plant's voltage_limit or "
                        'force_limit)')
    p.add_argument('--period', type=float, default=None, metavar='S',
                   help="--excite: seconds per command (default the plant's control_period)")
    p.add_argument('--csv', default=None, metavar='FILE',
                   help='--excite: write time (s), command to FILE')
    return p


def _known(items: Sequence[str]) -> dict[str, float]:
    from memsnn_controller.experiments.identification import IdentificationError

    out: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition('=')
        name = name.strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not sep or not name or not math.isfinite(value):
            raise IdentificationError(f'--known {item!r}: expected NAME=NUMBER')
        if name in out:
            raise IdentificationError(f'--known {name}: given twice')
        out[name] = value
    return out


def _coasts(items: Sequence[str]) -> list[tuple[float, float]]:
    from memsnn_controller.experiments.identification import IdentificationError

    out = []
    for item in items:
        start, sep, end = item.partition(':')
        try:
            out.append((float(start), float(end)))
        except ValueError:
            raise IdentificationError(f'--coast {item!r}: expected START:END in seconds') \
                from None
        if not sep:
            raise IdentificationError(f'--coast {item!r}: expected START:END in seconds')
    return out


def _figure_path(out: str) -> str:
    root, _ = os.path.splitext(out)
    return root + '.png'


def identify_main(args: argparse.Namespace) -> int:
    from memsnn_controller.common.atomic import write_atomic
    from memsnn_controller.envs.plant_file import PlantFileError, load_plant_file
    from memsnn_controller.experiments import identification as ident

    if not args.bag or not args.out:
        return fail(PROG, 'give a BAG and --out FILE (or --excite)')
    try:
        settings = ident.Settings(motor=args.motor or 'dc', known=_known(args.known),
                                  coasts=_coasts(args.coast), max_delay=args.max_delay,
                                  physics_step=args.physics_step)
        recording = ident.read_bag(args.bag, args.cart_joint, args.pole_joint, args.joint_topic,
                                   args.command_topic)
        result = ident.identify(recording, settings)
    except ident.IdentificationError as exc:
        return fail(PROG, exc)
    text = ident.plant_file_text(result, settings, source=args.bag)
    try:
        write_atomic(args.out, text)
        load_plant_file(args.out)   # what --plant will do with it
    except (OSError, PlantFileError) as exc:
        return fail(PROG, f'{args.out}: {exc}')
    print(f'{PROG}: {recording.source}: {len(recording.t)} joint states over '
          f'{recording.t[-1]:.1f} s, {len(recording.command)} commands')
    for line in result.lines():
        print(line)
    print(f'wrote {args.out} (--plant {args.out})')
    if not args.no_figure:
        figure = _figure_path(args.out)
        ident.save_figure(result, figure)
        print(f'figure: {figure}')
    return 0


def _excite_plant(args: argparse.Namespace) -> 'PlantFile':
    from memsnn_controller.envs.plant_file import load_plant_file

    name = args.plant or ('cartpole_v1' if args.motor == 'force' else 'rig')
    return load_plant_file(name)


def excitation_for(args: argparse.Namespace, plant_file: 'PlantFile') -> 'Excitation':
    from memsnn_controller.control.excitation import Excitation, Motor

    plant = plant_file.plant
    motor: Motor = 'force' if (args.motor or plant.motor) == 'force' else 'dc'
    if motor != plant.motor:
        raise ValueError(f'--motor {motor}: the plant {plant_file.name} has a {plant.motor} '
                         'motor')
    limit = args.limit if args.limit is not None else (
        plant.voltage_limit if motor == 'dc' else float(plant_file.task.force_mag))
    return Excitation.for_motor(motor, limit)


def excite_main(args: argparse.Namespace) -> int:
    from memsnn_controller.envs.plant_file import PlantFileError
    from memsnn_controller.experiments.identification import rehearse

    try:
        plant_file = _excite_plant(args)
        excitation = excitation_for(args, plant_file)
        period = args.period if args.period is not None else plant_file.control_period
        if not (math.isfinite(period) and 0.001 <= period <= 1.0):
            raise ValueError(f'--period {period}: in [0.001, 1] s')
        times, commands = excitation.samples(period)
        extent = rehearse(plant_file.plant, excitation, period, float(plant_file.task.force_mag))
    except (PlantFileError, ValueError) as exc:
        return fail(PROG, exc)
    print(f'{PROG} --excite: an excitation for a {excitation.unit} command, one value every '
          f'{period:g} s')
    for line in excitation.describe():
        print(f'  {line}')
    print(f'  on {plant_file.name} (simulated, from hanging at rest): the cart within '
          f'[{extent[0]:+.3f}, {extent[1]:+.3f}] m, the pole within +-{extent[2]:.2f} rad of '
          'hanging' + (f'; its track ends at +-{plant_file.plant.track_limit:g} m'
                       if math.isfinite(plant_file.plant.track_limit) else ''))
    print("  record the joint states and commands (the controller's record_path, or ros2 bag "
          'record), then: memsnn-identify BAG --out my_rig.yaml --known ...')
    if args.csv:
        from memsnn_controller.common.atomic import write_atomic

        lines = ['time_s,command'] + [f'{t:.6f},{u:.6f}' for t, u in zip(times, commands)]
        try:
            write_atomic(args.csv, '\n'.join(lines) + '\n')
        except OSError as exc:
            return fail(PROG, f'{args.csv}: {exc}')
        print(f'wrote {args.csv} ({len(times)} rows)')
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.excite:
        if args.bag or args.out:
            return fail(PROG, '--excite takes no BAG and no --out (--csv FILE writes it)',
                        EXIT_USAGE)
        return excite_main(args)
    return identify_main(args)


if __name__ == '__main__':
    sys.exit(main())
