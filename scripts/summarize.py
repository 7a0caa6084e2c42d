"""Prints one line, 'N passed, M failed, K skipped', over every JUnit XML report in a folder.

The test command's last line: pytest's test cases and schemathesis's operations (one case
per operation, spec and database) counted together.
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
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
