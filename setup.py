"""ament_python build of memsnn_controller; also a plain pip-installable package."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = 'memsnn_controller'

# The ROS 2 wheels on PyPI (cp311), one extra per distribution: 'ros' (Kilted, the default) and
# 'ros-jazzy' (the LTS). They install the same modules (rclpy, sensor_msgs, ...), so a venv takes
# one of them. A colcon build on a ROS 2 installation must use the system rclpy and messages, so
# these stay in optional extras.
ROS_WHEELS = [
    'ros-rclpy>=9.1.2',
    'ros-sensor-msgs>=5.5.1',
    'ros-std-msgs>=5.5.1',
    'ros-std-srvs>=5.5.1',
    'ros-rosgraph-msgs>=2.3.0',
    'ros-diagnostic-msgs>=5.5.1',
    'ros-lifecycle-msgs>=2.3.0',
    'ros-rmw-fastrtps-cpp>=9.3.3',
]
# Jazzy's meta-packages pin ros-rclpy 7.1.6 and its messages; [fastrtps] brings the middleware.
ROS_JAZZY_WHEELS = [
    'ros-jazzy-rclpy[fastrtps]>=7.1.6',
    'ros-jazzy-sensor-msgs>=5.3.6',
    'ros-jazzy-std-msgs>=5.3.6',
    'ros-jazzy-std-srvs>=5.3.6',
    'ros-jazzy-rosgraph-msgs>=2.0.3',
    'ros-jazzy-diagnostic-msgs>=5.3.6',
    'ros-jazzy-lifecycle-msgs>=2.0.3',
]

setup(
    name=PACKAGE,
    version='0.1.0',
    packages=find_packages(exclude=['test', 'test.*', 'benchmarks']),
    data_files=[
        ('share/ament_index/resource_index/packages', [f'resource/{PACKAGE}']),
        (f'share/{PACKAGE}', ['package.xml']),
        (f'share/{PACKAGE}/launch', glob('launch/*.launch.py')),
        (f'share/{PACKAGE}/config', glob('config/*.yaml')),
        (f'share/{PACKAGE}/config/plants', glob('config/plants/*.yaml')),
        (f'share/{PACKAGE}/urdf', glob('urdf/*.urdf')),
    ],
    # memsnn_controller/config is a link to config/: the YAML files ship inside the package too,
    # so memsnn-bringup finds them from a checkout, an editable install and a wheel alike.
    package_data={PACKAGE: ['config/*.yaml', 'config/plants/*.yaml']},
    python_requires='>=3.10',
    install_requires=[
        'setuptools',
        'numpy>=1.26',
        'numba>=0.60',
        'gymnasium>=1.0',
        'pybullet>=3.2.6',
        'pyyaml>=6.0',
        'tqdm>=4.66',
        'matplotlib>=3.8',
    ],
    extras_require={
        'ros': ROS_WHEELS,
        'ros-jazzy': ROS_JAZZY_WHEELS,
        # mypy and the stubs of the typed dependencies that ship none (see mypy.ini).
        'test': ['pytest>=8.0', 'ruff>=0.6', 'mypy>=2.3', 'types-PyYAML>=6.0', 'types-tqdm>=4.66'],
        # gymnasium's classic-control renderer, which memsnn/CartPoleContinuous-v1 inherits
        # (render modes 'human' and 'rgb_array'); the PyBullet envs render without it.
        'render': ['pygame>=2.1.3'],
        # memsnn-compare --backend ray; [client] adds grpcio for ray://HOST:10001 addresses.
        'cluster': ['ray[client]>=2.60'],
        # memsnn-bringup --record and the controller's record_path: rosbag2 (MCAP) without a
        # ROS installation (pure Python; docs/ros.md, section 7).
        'record': ['rosbags>=0.11'],
        # memsnn-render --format mp4 (ffmpeg comes inside imageio-ffmpeg's wheel); GIFs need
        # only Pillow, which matplotlib brings.
        'video': ['imageio>=2.31', 'imageio-ffmpeg>=0.5'],
    },
    zip_safe=True,
    maintainer='memsnn_controller developers',
    maintainer_email='memsnn@example.org',
    description='Memristive spiking neural network that learns cart-pole online, with ROS 2 nodes.',
    license='Apache-2.0',
    tests_require=['pytest'],
    entry_points={
        'console_scripts': [
            'sim_node = memsnn_controller.apps.sim_node:main',
            'controller_node = memsnn_controller.apps.controller_node:main',
            'memsnn-bringup = memsnn_controller.apps.bringup.cli:main',
            'memsnn-train = memsnn_controller.apps.train:main',
            'memsnn-compare = memsnn_controller.apps.compare:main',
            'memsnn-render = memsnn_controller.apps.render:main',
            'memsnn-identify = memsnn_controller.apps.identify:main',
        ],
    },
)
