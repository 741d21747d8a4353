"""A reader that closes the pipe early (``collapse ... | head``) ends the command quietly (issue 24)."""

import subprocess
import sys


def test_closed_output_pipe_ends_quietly_with_141():
    cmd = [sys.executable, "-m", "model_collapse", "predict", "gaussian", "--workflow", "replace", "--n", "10",
           "--d", "2", "--t", "20000", "--per-iteration"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.read(16)
    proc.stdout.close()  # as `head -c 16` does
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert first.startswith(b"mean_sq_error")
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert code == 141, (code, err)
