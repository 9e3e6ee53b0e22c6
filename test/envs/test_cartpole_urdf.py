"""The generated URDF is pybullet_data's cart-pole: PyBullet simulates both identically, and the
parameters change what they name."""

import os
import xml.etree.ElementTree as ET

import numpy as np
import pybullet as p
import pybullet_data
import pytest

from memsnn_controller.envs.cartpole_urdf import cartpole_urdf


def _trajectory(path, steps=150):
    client = p.connect(p.DIRECT)
    try:
        p.setGravity(0, 0, -9.8, physicsClientId=client)
        p.setPhysicsEngineParameter(fixedTimeStep=0.004, numSubSteps=0, physicsClientId=client)
        body = p.loadURDF(str(path), useFixedBase=True, physicsClientId=client)
        joints = {p.getJointInfo(body, i, physicsClientId=client)[1].decode(): i
                  for i in range(p.getNumJoints(body, physicsClientId=client))}
        cart, pole = joints['slider_to_cart'], joints['cart_to_pole']
        for link in (-1, cart, pole):
            p.changeDynamics(body, link, linearDamping=0, angularDamping=0, jointDamping=0,
                             physicsClientId=client)
        p.setJointMotorControlArray(body, [cart, pole], p.VELOCITY_CONTROL, forces=[0, 0],
                                    physicsClientId=client)
        p.resetJointState(body, pole, 0.05, 0.0, physicsClientId=client)
        forces = np.random.default_rng(0).uniform(-10, 10, steps)
        states = []
        for force in forces:
            for _ in range(5):
                p.setJointMotorControl2(body, cart, p.TORQUE_CONTROL, force=force,
                                        physicsClientId=client)
                p.stepSimulation(physicsClientId=client)
            (x, v, *_), (theta, omega, *_) = p.getJointStates(body, [cart, pole],
                                                              physicsClientId=client)
            states.append((x, v, theta, omega))
        return np.array(states)
    finally:
        p.disconnect(client)


@pytest.mark.parametrize('ros2_control', [None, 'mock'])
def test_pybullet_simulates_it_as_pybullet_datas_cartpole(tmp_path, ros2_control):
    path = tmp_path / 'cartpole.urdf'
    path.write_text(cartpole_urdf(ros2_control=ros2_control))
    reference = _trajectory(os.path.join(pybullet_data.getDataPath(), 'cartpole.urdf'))
    np.testing.assert_array_equal(_trajectory(path), reference)


def test_parameters_change_the_pole_and_the_cart():
    root = ET.fromstring(cartpole_urdf(pole_length=0.6, pole_mass=0.3, cart_mass=2.0))
    pole = root.find("link[@name='pole']")
    assert pole.find('visual/geometry/box').get('size') == '0.05 0.05 0.6'
    assert pole.find('inertial/origin').get('xyz') == '0 0 0.3'
    assert float(pole.find('inertial/mass').get('value')) == 0.3
    ixx = float(pole.find('inertial/inertia').get('ixx'))
    assert ixx == pytest.approx(0.3 * (0.05 ** 2 + 0.6 ** 2) / 12)
    assert float(root.find("link[@name='cart']/inertial/mass").get('value')) == 2.0


@pytest.mark.parametrize('kwargs, field', [({'pole_length': 0}, 'pole_length'),
                                           ({'ros2_control': 'real'}, 'ros2_control'),
                                           ({'ros2_control': 'gazebo'}, 'controllers_file')])
def test_bad_arguments_are_named(kwargs, field):
    with pytest.raises(ValueError, match=field):
        cartpole_urdf(**kwargs)
