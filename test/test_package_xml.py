"""package.xml declares every package the code imports (what rosdep installs for a colcon build)."""

import ast
import glob
import os
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Top-level import -> its rosdep key. ROS packages are imported under their own names.
ROS_PACKAGES = ('rclpy', 'rcl_interfaces', 'builtin_interfaces', 'ament_index_python', 'launch',
                'launch_ros', 'sensor_msgs', 'std_msgs', 'std_srvs', 'rosgraph_msgs',
                'diagnostic_msgs', 'lifecycle_msgs')
PYTHON_KEYS = {'numpy': 'python3-numpy', 'yaml': 'python3-yaml', 'tqdm': 'python3-tqdm',
               'matplotlib': 'python3-matplotlib', 'numba': 'python3-numba',
               'gymnasium': 'python3-gymnasium-pip', 'pybullet': 'python3-pybullet-pip',
               'pybullet_data': 'python3-pybullet-pip', 'PIL': 'python3-pil'}
# Imported only by optional features, never by the nodes: not ROS dependencies.
OPTIONAL = {'ray': "memsnn-compare --backend ray (the 'cluster' extra)",
            'rosbags': "the controller's record_path and memsnn-bringup --record (the 'record' "
                       'extra; on a ROS installation ros2 bag record does the same)',
            'imageio': "memsnn-render's MP4 (the 'video' extra)"}


def imported_top_level(paths):
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(open(path).read(), path)):
            if isinstance(node, ast.Import):
                names.update(alias.name.split('.')[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split('.')[0])
    return names - set(sys.stdlib_module_names) - {'memsnn_controller', '__future__'}


def dependencies(kind):
    root = ET.parse(os.path.join(ROOT, 'package.xml')).getroot()
    tags = {'exec': ('exec_depend', 'depend'), 'test': ('test_depend', 'depend')}[kind]
    return {element.text.strip() for tag in tags for element in root.iter(tag)}


def test_every_import_of_the_package_and_launch_files_is_an_exec_dependency():
    paths = glob.glob(os.path.join(ROOT, 'memsnn_controller', '**', '*.py'), recursive=True)
    paths += glob.glob(os.path.join(ROOT, 'launch', '*.py'))
    imported = imported_top_level(paths)
    unknown = imported - set(ROS_PACKAGES) - set(PYTHON_KEYS) - set(OPTIONAL)
    assert not unknown, f'imports without a rosdep key here: {sorted(unknown)}'
    needed = {PYTHON_KEYS.get(name, name) for name in imported - set(OPTIONAL)}
    missing = needed - dependencies('exec')
    assert not missing, f'package.xml lacks <exec_depend> for {sorted(missing)}'


def test_the_tests_dependencies_are_test_dependencies():
    paths = glob.glob(os.path.join(ROOT, 'test', '**', '*.py'), recursive=True)
    local = {os.path.splitext(os.path.basename(p))[0] for p in paths}
    imported = imported_top_level(paths) - local
    needed = {PYTHON_KEYS.get(name, name) for name in imported - set(OPTIONAL)}
    needed = {'python3-pytest' if name == 'pytest' else name for name in needed}
    missing = needed - dependencies('exec') - dependencies('test')
    assert not missing, f'package.xml lacks <test_depend> for {sorted(missing)}'


def test_package_xml_states_the_supported_distributions():
    text = open(os.path.join(ROOT, 'package.xml')).read()
    assert 'Jazzy' in text and 'Kilted' in text
