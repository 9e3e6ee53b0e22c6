"""The cart-pole's URDF, generated from its parameters, for PyBullet and ros2_control alike.

    cartpole_urdf()                              # pybullet_data's cartpole.urdf, same geometry
    cartpole_urdf(pole_length=0.8, pole_mass=0.2)  # another plant for the same model
    cartpole_urdf(ros2_control='mock')           # plus a <ros2_control> block (urdf/cartpole.urdf)

The geometry is that of pybullet_data's cartpole.urdf (bullet_cartpole.py describes it): a fixed
30 m slide bar, a 0.5 x 0.5 x 0.2 m cart of ``cart_mass`` on the prismatic joint
``slider_to_cart`` (axis x, +-15 m), and a 0.05 x 0.05 m pole box of ``pole_length`` and
``pole_mass`` whose centre of mass sits ``pole_length / 2`` above the continuous joint
``cart_to_pole`` (axis y). Unlike that file, the inertia tensors are the boxes' true ones
(I = m (a^2 + b^2) / 12 about the centre), which Gazebo uses; PyBullet computes the same from the
collision boxes (it ignores the file's inertias unless asked), so both simulate one system.

``ros2_control`` adds the block ros2_control reads: the cart joint with an ``effort`` command
interface, both joints with ``position`` and ``velocity`` state interfaces, and the hardware:
'mock' (mock_components/GenericSystem: no physics, for checking the wiring) or 'gazebo'
(gz_ros2_control/GazeboSimSystem, plus the <gazebo> plugin element that starts its controller
manager with ``controllers_file``). With a block the model is anchored to a ``world`` link by a
fixed joint, as Gazebo needs; PyBullet fixes the base itself (useFixedBase).
"""

from typing import Literal

from memsnn_controller.common import checks

Hardware = Literal['mock', 'gazebo']

CART_JOINT = 'slider_to_cart'
POLE_JOINT = 'cart_to_pole'
HARDWARE = {
    'mock': 'mock_components/GenericSystem',
    'gazebo': 'gz_ros2_control/GazeboSimSystem',
}
GAZEBO_PLUGIN = ('gz_ros2_control-system', 'gz_ros2_control::GazeboSimROS2ControlPlugin')
SLIDE_BAR = (30.0, 0.05, 0.05)
SLIDE_BAR_MASS = 1.0
CART_BOX = (0.5, 0.5, 0.2)
POLE_SIDE = 0.05
TRACK_LIMIT = 15.0


def _box_inertia(mass: float, size: tuple[float, float, float]) -> tuple[float, float, float]:
    a, b, c = size
    return (mass * (b * b + c * c) / 12.0, mass * (a * a + c * c) / 12.0,
            mass * (a * a + b * b) / 12.0)


def _num(value: float) -> str:
    return f'{value:.10g}'


def _box_link(name: str, size: tuple[float, float, float], mass: float, z: float, color: str,
              rgba: str, collision: bool = True) -> list[str]:
    ixx, iyy, izz = _box_inertia(mass, size)
    box = ' '.join(_num(v) for v in size)
    origin = f'<origin rpy="0 0 0" xyz="0 0 {_num(z)}"/>'
    lines = [f'  <link name="{name}">',
             '    <visual>',
             f'      <geometry><box size="{box}"/></geometry>',
             f'      {origin}',
             f'      <material name="{color}"><color rgba="{rgba}"/></material>',
             '    </visual>']
    if collision:
        lines += ['    <collision>',
                  f'      <geometry><box size="{box}"/></geometry>',
                  f'      {origin}',
                  '    </collision>']
    lines += ['    <inertial>',
              f'      {origin}',
              f'      <mass value="{_num(mass)}"/>',
              f'      <inertia ixx="{_num(ixx)}" ixy="0" ixz="0" iyy="{_num(iyy)}" iyz="0" '
              f'izz="{_num(izz)}"/>',
              '    </inertial>',
              '  </link>']
    return lines


def _ros2_control(hardware: Hardware, controllers_file: str) -> list[str]:
    plugin = HARDWARE[hardware]
    lines = ['  <ros2_control name="CartPoleSystem" type="system">',
             '    <hardware>',
             f'      <plugin>{plugin}</plugin>',
             '    </hardware>',
             f'    <joint name="{CART_JOINT}">',
             '      <command_interface name="effort">',
             f'        <param name="min">-{_num(1000.0)}</param>',
             f'        <param name="max">{_num(1000.0)}</param>',
             '      </command_interface>',
             '      <state_interface name="position">',
             '        <param name="initial_value">0.0</param>',
             '      </state_interface>',
             '      <state_interface name="velocity"/>',
             '    </joint>',
             f'    <joint name="{POLE_JOINT}">',
             '      <state_interface name="position">',
             '        <param name="initial_value">0.0</param>',
             '      </state_interface>',
             '      <state_interface name="velocity"/>',
             '    </joint>',
             '  </ros2_control>']
    if hardware == 'gazebo':
        filename, name = GAZEBO_PLUGIN
        lines += ['  <gazebo>',
                  f'    <plugin filename="{filename}" name="{name}">',
                  f'      <parameters>{controllers_file}</parameters>',
                  '    </plugin>',
                  '  </gazebo>']
    return lines


def cartpole_urdf(pole_length: float = 1.0, pole_mass: float = 0.1, cart_mass: float = 1.0,
                  ros2_control: Hardware | None = None, controllers_file: str = '') -> str:
    """The URDF text of the cart-pole (see the module docstring); ValueError names a bad
    argument."""
    checks.require('pole_length', pole_length, checks.above_zero(100.0, ' m'))
    checks.require('pole_mass', pole_mass, checks.above_zero(1e4, ' kg'))
    checks.require('cart_mass', cart_mass, checks.above_zero(1e4, ' kg'))
    checks.require('ros2_control', ros2_control, checks.one_of(None, *HARDWARE))
    checks.require_that(ros2_control != 'gazebo' or bool(controllers_file), 'controllers_file',
                        "is needed with ros2_control='gazebo' (the controller manager's YAML)",
                        controllers_file)
    lines = ['<?xml version="1.0"?>',
             '<!-- Generated by memsnn_controller.envs.cartpole_urdf(pole_length='
             f'{_num(pole_length)}, pole_mass={_num(pole_mass)}, cart_mass={_num(cart_mass)}, '
             f'ros2_control={ros2_control!r}); regenerate it rather than editing it. -->',
             '<robot name="cartpole">']
    if ros2_control is not None:
        lines += ['  <link name="world"/>',
                  '  <joint name="world_to_slide_bar" type="fixed">',
                  '    <parent link="world"/>',
                  '    <child link="slideBar"/>',
                  '    <origin rpy="0 0 0" xyz="0 0 0"/>',
                  '  </joint>']
    # The bar is fixed (to world, or as PyBullet's fixed base): its mass never moves; 1 kg keeps
    # tools that reject a massless link (URDF-to-SDF conversion) content.
    lines += _box_link('slideBar', SLIDE_BAR, SLIDE_BAR_MASS, 0.0, 'green', '0 0.8 0.8 1',
                       collision=False)
    lines += _box_link('cart', CART_BOX, cart_mass, 0.0, 'blue', '0 0 0.8 1')
    lines += [f'  <joint name="{CART_JOINT}" type="prismatic">',
              '    <axis xyz="1 0 0"/>',
              '    <origin rpy="0 0 0" xyz="0 0 0"/>',
              '    <parent link="slideBar"/>',
              '    <child link="cart"/>',
              f'    <limit effort="1000" lower="-{_num(TRACK_LIMIT)}" upper="{_num(TRACK_LIMIT)}" '
              f'velocity="5"/>',
              '  </joint>']
    lines += _box_link('pole', (POLE_SIDE, POLE_SIDE, pole_length), pole_mass, pole_length / 2.0,
                       'white', '1 1 1 1')
    lines += [f'  <joint name="{POLE_JOINT}" type="continuous">',
              '    <axis xyz="0 1 0"/>',
              '    <origin rpy="0 0 0" xyz="0 0 0"/>',
              '    <parent link="cart"/>',
              '    <child link="pole"/>',
              '  </joint>']
    if ros2_control is not None:
        lines += _ros2_control(ros2_control, controllers_file)
    lines.append('</robot>')
    return '\n'.join(lines) + '\n'


def main() -> None:
    """Print the shipped urdf/cartpole.urdf (``python -m memsnn_controller.envs.cartpole_urdf >
    urdf/cartpole.urdf``)."""
    print(cartpole_urdf(ros2_control='mock'), end='')


if __name__ == '__main__':
    main()
