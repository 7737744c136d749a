"""`vendor-publish install/uninstall HOST` runs the host's installer from the source folder."""

from __future__ import annotations

import sys

from vendor_publish.cli import main


def test_install_and_uninstall_qgis_through_the_cli(tmp_path, capsys):
    root = tmp_path / "profiles"
    assert main(["install", "qgis", "--profiles-root", str(root), "--qgis-python", sys.executable]) == 0
    plugin = root / "default" / "python" / "plugins" / "vendor_publish_qgis"
    assert (plugin / "metadata.txt").is_file() and (plugin / "_vendor" / "vendor_publish").is_dir()
    assert "vendor_publish_qgis=true" in (root / "default" / "QGIS" / "QGIS3.ini").read_text()
    assert main(["uninstall", "qgis", "--profiles-root", str(root)]) == 0
    assert not plugin.exists()
    assert "vendor_publish_qgis" not in (root / "default" / "QGIS" / "QGIS3.ini").read_text()
