"""install/qgis.py into a private QGIS profiles folder; QGIS's own Python imports what it vendored."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

from qgis_support import ROOT, needs_qgis, qgis_python

spec = importlib.util.spec_from_file_location("install_qgis", ROOT / "install" / "qgis.py")
installer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(installer)

INI = """[General]
lastUsed=1

[PythonPlugins]
processing=true
other_plugin=false

[qgis]
showTips=false
"""


def test_ini_edit_keeps_everything_else(tmp_path):
    ini = tmp_path / "QGIS3.ini"
    ini.write_text(INI)
    installer.set_enabled(ini, True)
    text = ini.read_text()
    assert "[PythonPlugins]\nprocessing=true\nother_plugin=false\nvendor_publish_qgis=true\n" in text
    assert "[qgis]\nshowTips=false" in text and "[General]\nlastUsed=1" in text
    installer.set_enabled(ini, True)  # twice: still one line
    assert ini.read_text().count("vendor_publish_qgis=") == 1
    installer.set_enabled(ini, False)
    assert ini.read_text() == INI
    fresh = tmp_path / "new" / "QGIS3.ini"
    installer.set_enabled(fresh, True)
    assert fresh.read_text() == "[PythonPlugins]\nvendor_publish_qgis=true\n"


@needs_qgis
def test_install_then_uninstall_in_a_profile(tmp_path):
    root = tmp_path / "profiles"
    ini = installer.ini_path(root, "analyst")
    ini.parent.mkdir(parents=True)
    ini.write_text(INI)
    target = installer.install("analyst", profiles_root=root, qgis_python=qgis_python())
    assert target == root / "analyst" / "python" / "plugins" / "vendor_publish_qgis"
    assert (target / "metadata.txt").is_file() and (target / "__init__.py").is_file()
    assert (target / "_vendor" / "vendor_publish" / "workflow.py").is_file()
    assert list((target / "_vendor" / "pydantic_core").glob("_pydantic_core*.so"))
    assert "vendor_publish_qgis=true" in ini.read_text()
    # QGIS's Python (no core of its own) loads the plugin package and, on demand, the vendored core
    code = ("import sys; sys.path.insert(0, sys.argv[1]);"
            "import vendor_publish_qgis as p; assert callable(p.classFactory);"
            "from vendor_publish_qgis.core_path import ensure_core; ensure_core();"
            "import vendor_publish, pydantic_core, httpx;"
            "from vendor_publish.models import Collection;"
            "print(vendor_publish.__file__); print(Collection(host='qgis', project_file='/p.qgz').host)")
    proc = subprocess.run([qgis_python(), "-c", code, str(target.parent)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.split()
    assert Path(first).is_relative_to(target / "_vendor") and second == "qgis"
    assert installer.uninstall("analyst", profiles_root=root)
    assert not target.exists() and ini.read_text() == INI
    assert not installer.uninstall("analyst", profiles_root=root)


@needs_qgis
def test_cli_in_qgis_python_reads_the_project_in_process(tmp_path, survey):
    """With the vendored core, QGIS's own Python runs the CLI and reads the project without a subprocess."""
    from vendor_publish.cli import EXIT_BLOCKED

    root = tmp_path / "profiles"
    target = installer.install("default", profiles_root=root, qgis_python=qgis_python())
    studio = tmp_path / "studio.toml"
    studio.write_text('display_name = "GeoScan"\nworkspace = "geoscan"\nshare = "proj002-outsourcing"\n'
                      'output_folders = ["exports"]\n')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": f"{target / '_vendor'}:{target.parent}",
           "VENDOR_PUBLISH_STUDIO": str(studio), "VENDOR_PUBLISH_HOME": str(tmp_path / "vp"),
           "ACCSYN_API_USER": "jennifer@gda.com", "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path),
           # a subprocess would fail on this: the project must be read in this very process
           "VENDOR_PUBLISH_QGIS_PYTHON": str(tmp_path / "no-such-python")}
    proc = subprocess.run([qgis_python(), "-m", "vendor_publish", "plan", survey["project"], "--host", "qgis",
                           "--task", "DATASET_001_1203"], capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert proc.returncode == EXIT_BLOCKED, proc.stderr[-2000:]
    assert "Layer 'lost' cannot be loaded: its file is missing" in proc.stdout
    assert "data/roads.shp (5 files)" in proc.stdout and "exports/" in proc.stdout  # with its sidecars
