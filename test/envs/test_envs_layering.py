"""envs/ is a plain library: it imports nothing from ros/, snn/, experiments/ or rclpy."""

import ast
import pathlib

import memsnn_controller.envs

FORBIDDEN = ('memsnn_controller.ros', 'memsnn_controller.snn', 'memsnn_controller.experiments',
             'rclpy')


def test_envs_imports_no_ros_snn_or_experiments():
    for path in pathlib.Path(memsnn_controller.envs.__file__).parent.glob('*.py'):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or '']
            else:
                continue
            for name in names:
                assert not name.startswith(FORBIDDEN), f'{path.name} imports {name}'
