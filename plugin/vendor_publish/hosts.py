"""Which host adapter reads a project, loaded only when asked for (no host import at start-up)."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from vendor_publish.errors import ConfigError
from vendor_publish.models import Collection

# Host name -> "module:function" taking (project_path) and returning a Collection.
ADAPTERS = {
    "blender": "vendor_publish_blender.headless:collect_blend_file",
    "qgis": "vendor_publish_qgis.headless:collect_qgis_project",
}


def collect(host: str, project: str, *, dependencies: Sequence[str] = (), outputs: Sequence[str] = ()) -> Collection:
    """Ask the named host adapter what the project uses and produced."""
    if host == "generic":
        from vendor_publish.generic import collect_paths

        return collect_paths(project, dependencies=dependencies, outputs=outputs)
    target = ADAPTERS.get(host)
    if target is None:
        raise ConfigError(f"Unknown host {host!r}.", hint=f"Use one of: generic, {', '.join(sorted(ADAPTERS))}.")
    if dependencies or outputs:
        raise ConfigError(f"--dep/--output are for the generic host; the {host} adapter reads them from the project.")
    module_name, func_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"The {host} adapter is not installed ({exc}).",
            hint=f"Install vendor-publish with its host adapters, or run: vendor-publish install {host}",
        ) from None
    return getattr(module, func_name)(project)
