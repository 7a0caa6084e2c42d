"""Prints one line, 'N passed, M failed, K skipped', over every JUnit XML report in a folder
and the checks named after it (``ruff=0 mypy=1``: each a check, failed unless its exit
status is 0).

The test command's last line: the lint and type checks, pytest's test cases and
schemathesis's operations (one case per operation, spec and database) counted together.
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def count(folder: Path) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    for report in sorted(folder.glob("*.xml")):
        for case in ET.parse(report).iter("testcase"):
            outcomes = {child.tag for child in case}
            if outcomes & {"failure", "error"}:
                failed += 1
            elif "skipped" in outcomes:
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


def main() -> int:
    passed, failed, skipped = count(Path(sys.argv[1]))
    for check in sys.argv[2:]:
        _, _, status = check.partition("=")
        if status == "0":
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
