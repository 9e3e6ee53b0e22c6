"""snn/ is the pure learning core: it imports nothing from ros/, envs/, experiments/ or rclpy."""

import ast
import pathlib

import memsnn_controller.snn

FORBIDDEN = ('memsnn_controller.ros', 'memsnn_controller.envs', 'memsnn_controller.experiments',
             'rclpy', 'gymnasium', 'pybullet')


def test_snn_imports_no_ros_envs_experiments_or_physics():
    for path in pathlib.Path(memsnn_controller.snn.__file__).parent.glob('*.py'):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or '']
            else:
                continue
            for name in names:
                assert not name.startswith(FORBIDDEN), f'{path.name} imports {name}'
