"""A cell file's [noise] table is applied by ``hhsim run`` only; any other command
that reads the file says so in one line on stderr instead of dropping it in silence
(found while reviewing issue 22's cell-file noise), and runs as without the table."""

from __future__ import annotations

import json

from helpers.cli import run_cli


def test_other_commands_say_they_run_without_the_noise(tmp_path, capsys):
    plain = tmp_path / "hh.toml"
    assert run_cli(capsys, "models", "hh", "--describe", "--out", str(plain))[0] == 0
    noisy = tmp_path / "noisy.toml"
    noisy.write_text(plain.read_text() + '\n[noise]\nmethod = "markov"\narea = "50 um2"\nseed = 2\n')
    args = ("rheobase", "--json", "--dur", "20")
    code, out_noisy, err = run_cli(capsys, *args, "--model", str(noisy))
    assert code == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "[noise]" in lines[0] and "hhsim run" in lines[0], err
    code, out_plain, err_plain = run_cli(capsys, *args, "--model", str(plain))
    assert code == 0 and "[noise]" not in err_plain
    noisy_value = json.loads(out_noisy)["rheobase_uA_cm2"]
    assert noisy_value == json.loads(out_plain)["rheobase_uA_cm2"]
    # hhsim run applies the table and says nothing of the kind
    code, _, err = run_cli(capsys, "run", "--model", str(noisy), "--t-stop", "2", "--json")
    assert code == 0 and "[noise]" not in err, err
