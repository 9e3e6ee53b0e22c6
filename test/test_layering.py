"""The layers import one way: snn/ and envs/ are plain libraries (DESIGN.md, Layers)."""

import ast
import pathlib

import pytest

import memsnn_controller

PACKAGE = pathlib.Path(memsnn_controller.__file__).parent
LAYERS = {
    'snn': ('memsnn_controller.ros', 'memsnn_controller.envs', 'memsnn_controller.experiments',
            'rclpy', 'gymnasium', 'pybullet'),
    'envs': ('memsnn_controller.ros', 'memsnn_controller.snn', 'memsnn_controller.experiments',
             'rclpy'),
    'experiments': ('memsnn_controller.ros', 'rclpy'),
}


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or ''


@pytest.mark.parametrize('layer', sorted(LAYERS))
def test_layer_imports_nothing_above_it(layer):
    for path in (PACKAGE / layer).glob('*.py'):
        for name in _imports(path):
            assert not name.startswith(LAYERS[layer]), f'{layer}/{path.name} imports {name}'
