"""A file and its companions (a shapefile's sidecars): where they go when the studio places the file."""

from __future__ import annotations

from vendor_publish.models import PlanEntry


def companion_destinations(entry: PlanEntry, path: str) -> list[str]:
    """Where a file and its companions go when the studio names the file's place ``path``.

    The companions follow it into the same folder, renamed as it was (``roads.shx`` beside
    ``roads.shp`` becomes ``survey_v2.shx`` beside ``survey_v2.shp``): a shapefile renamed
    without its sidecars would not open.
    """
    folder, _, new_name = path.rpartition("/")
    old_name = entry.members[0]
    old_stem, new_stem = old_name.rsplit(".", 1)[0], new_name.rsplit(".", 1)[0]
    result = []
    for name in entry.members:
        if name.startswith(old_name):
            name = new_name + name[len(old_name):]
        elif name.startswith(old_stem + "."):
            name = new_stem + name[len(old_stem):]
        result.append(f"{folder}/{name}" if folder else name)
    return result
