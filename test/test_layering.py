"""The layers import one way (DESIGN.md, Layers): apps/ composes ros/ and experiments/, which
build on control/ (the controller's side of a rig), snn/ and envs/; control/ builds on snn/ and
envs/; common/ serves them all and imports none of them."""

import ast
import pathlib

import pytest

import memsnn_controller

PACKAGE = pathlib.Path(memsnn_controller.__file__).parent
SNN, ENVS, CONTROL, ROS, EXPERIMENTS, APPS, COMMON = (
    f'memsnn_controller.{layer}' for layer in (
        'snn', 'envs', 'control', 'ros', 'experiments', 'apps', 'common'))
FORBIDDEN = {
    'common': (SNN, ENVS, CONTROL, ROS, EXPERIMENTS, APPS, 'rclpy', 'gymnasium', 'pybullet',
               'numba'),
    'snn': (ENVS, CONTROL, ROS, EXPERIMENTS, APPS, 'rclpy', 'gymnasium', 'pybullet'),
    'envs': (SNN, CONTROL, ROS, EXPERIMENTS, APPS, 'rclpy'),
    'control': (ROS, EXPERIMENTS, APPS, 'rclpy'),
    'ros': (EXPERIMENTS, APPS),
    'experiments': (ROS, APPS, 'rclpy'),
    'apps': (),
}


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or ''


def _is_within(name, prefixes):
    return any(name == prefix or name.startswith(prefix + '.') for prefix in prefixes)


@pytest.mark.parametrize('layer', sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(layer):
    files = sorted((PACKAGE / layer).rglob('*.py'))
    assert files, f'{layer}/ has no modules'
    for path in files:
        for name in _imports(path):
            assert not _is_within(name, FORBIDDEN[layer]), \
                f'{path.relative_to(PACKAGE)} imports {name}'


def test_every_module_belongs_to_a_layer():
    top = {path.name for path in PACKAGE.glob('*.py')} | {
        path.name for path in PACKAGE.iterdir() if (path / '__init__.py').is_file()}
    assert top == {'__init__.py', *FORBIDDEN}


def test_the_rule_is_checked_against_a_violation(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('from memsnn_controller.experiments import metrics\nimport rclpy.node\n')
    names = list(_imports(bad))
    assert _is_within(names[0], FORBIDDEN['ros']) and _is_within(names[1], FORBIDDEN['snn'])
    assert not _is_within('memsnn_controller.rosette', FORBIDDEN['experiments'])
