"""The run-folder guard that memsnn-train and memsnn-bringup share."""

import pytest

from memsnn_controller.experiments import runfolder as rf


def test_a_new_run_needs_a_folder_without_one(tmp_path):
    rf.check_start(tmp_path / 'missing', resume=False)  # created later by the run
    rf.check_start(tmp_path, resume=False)
    (tmp_path / rf.CONFIG_FILE).write_text('{}')  # settings alone are no run
    rf.check_start(tmp_path, resume=False)
    for name in (rf.EPISODES_FILE, rf.CHECKPOINT_FILE):
        (tmp_path / name).write_text('')
    with pytest.raises(rf.RunFolderError, match=r'already holds a run \(checkpoint\.npz, '
                                                r'episodes\.csv\); resume it'):
        rf.check_start(tmp_path, resume=False)


def test_a_resumed_run_needs_a_checkpoint(tmp_path):
    (tmp_path / rf.EPISODES_FILE).write_text('')
    with pytest.raises(rf.RunFolderError, match='no checkpoint.npz to resume from'):
        rf.check_start(tmp_path, resume=True)
    (tmp_path / rf.CHECKPOINT_FILE).write_text('')
    rf.check_start(tmp_path, resume=True)
