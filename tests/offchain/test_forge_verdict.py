"""`make test` runs forge through the Makefile's FORGE: a failing forge suite must fail it.

npm's `node_modules/.bin/forge` is a node wrapper that exits 0 whatever forge returns (seen with
@foundry-rs/forge 1.7.1), so the Makefile names the platform binary. The case compiles one
failing test in a scratch project (no imports: a few seconds through the solc-js shim).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAILING_TEST = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

contract FailsTest {
    function test_fails() public pure {
        require(false, "a failing forge test");
    }
}
"""


def makefile_forge() -> Path:
    found = re.search(r"^FORGE = (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert found, "the Makefile names no FORGE"
    return ROOT / found.group(1)


def test_the_makefiles_forge_fails_on_a_failing_test(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "Fails.t.sol").write_text(FAILING_TEST)
    (tmp_path / "foundry.toml").write_text(
        f'[profile.default]\nsrc = "test"\ntest = "test"\nsolc = "{ROOT / "tools/solc/solc-v0.8.28"}"\n'
        "auto_detect_solc = false\noffline = true\n"
    )
    run = subprocess.run(
        [makefile_forge(), "test", "--root", tmp_path], capture_output=True, text=True, timeout=300, check=False
    )

    assert "a failing forge test" in run.stdout + run.stderr, run.stdout + run.stderr
    assert run.returncode != 0
    assert "node_modules/.bin" not in str(makefile_forge())  # the wrapper that exits 0
    assert "$(FORGE) test" in (ROOT / "Makefile").read_text() and " forge test" not in (ROOT / "Makefile").read_text()
