"""In QGIS's Python: sources decoded on helper threads get the provider registry's own answers."""

from __future__ import annotations

import json
import subprocess

from qgis_support import needs_qgis, qgis_env, qgis_python

pytestmark = needs_qgis

SCRIPT = r"""
import json, sys
from qgis.core import QgsApplication, QgsProject, QgsProviderRegistry
app = QgsApplication([], False)
app.initQgis()
project = QgsProject.instance()
assert project.read(sys.argv[1])
from vendor_publish_qgis import collection, decoding, sources
from vendor_publish_qgis.sidecars import SidecarFinder
registry = QgsProviderRegistry.instance()
layers = collection.ordered_layers(project)
pairs = [(layer.providerType(), layer.source()) for layer in layers]
serial = [dict(registry.decodeUri(p, s)) for p, s in pairs]
many = pairs * 60  # enough sources for every helper thread to race the others
threaded = decoding.decode_all(many, lambda p, s: sources.decode(p, s, registry), threads=4)
one_by_one = [sources.read_layers([layer])[0].parts for layer in layers]
decoding.PER_THREAD = 1  # the survey's dozen layers on helper threads too
together = sources.read_layers(layers)
on_threads = collection.collect_raw(project, SidecarFinder())
decoding.MOST_THREADS = 1
alone = collection.collect_raw(project, SidecarFinder())
print(json.dumps({"providers": sorted({p for p, _ in pairs}), "serial": serial,
                  "threaded_equal": threaded == serial * 60, "one_by_one": one_by_one,
                  "together": [one.parts for one in together], "collections_equal": on_threads == alone,
                  "items": len(alone["items"])}, default=str))
"""


def test_threaded_decoding_equals_the_registry_answer_on_the_calling_thread(survey, tmp_path):
    proc = subprocess.run([qgis_python(), "-c", SCRIPT, survey["project"]], capture_output=True, text=True,
                          timeout=120, env=qgis_env({"XDG_RUNTIME_DIR": str(tmp_path)}), stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"ogr", "gdal", "delimitedtext"} <= set(facts["providers"])  # threaded kinds are in the survey
    assert facts["threaded_equal"]
    assert facts["together"] == facts["one_by_one"] == facts["serial"]
    assert any(parts.get("path") for parts in facts["serial"])
    assert facts["collections_equal"] and facts["items"] > 5
