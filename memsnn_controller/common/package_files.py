"""Where the package's own files are: config/ (parameter files, agent configurations, plant
files), inside the installed package (a checkout, an editable install and a wheel alike: the
package's ``config`` is a link to the repository's config/ and ships as package data) or in the
ament share folder of a colcon install."""

import os

PACKAGE = 'memsnn_controller'


def config_dir(marker: str = 'controller.yaml') -> str:
    """The package's config folder, the first of the places above holding ``marker`` (a path
    relative to it); FileNotFoundError names where it looked."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    here = os.path.join(package, 'config')
    if os.path.isfile(os.path.join(here, marker)):
        return here
    try:
        from ament_index_python.packages import get_package_share_directory

        share = os.path.join(get_package_share_directory(PACKAGE), 'config')
    except (ImportError, LookupError, OSError, ValueError):
        share = ''
    if share and os.path.isfile(os.path.join(share, marker)):
        return share
    raise FileNotFoundError(f'cannot find {marker} (looked in {here} and the ament share '
                            f'folder of {PACKAGE})')
