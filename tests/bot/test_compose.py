"""compose.yaml, read as Compose reads it (README, "More than one process"): one service
builds the image, and every service runs that image."""

from __future__ import annotations

from typing import Any

import yaml

from tests.conftest import PROJECT


def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load((PROJECT / "compose.yaml").read_text(encoding="utf-8"))
    return dict(compose["services"])


def test_one_service_builds_the_image_and_the_others_run_it_never_pulling_it() -> None:
    # Each service had `build:` (through the shared anchor): `docker compose up --build`
    # built the same image once for each of them.
    every = services()
    builders = [name for name, service in every.items() if "build" in service]
    assert builders == ["index"]
    image = every["index"]["image"]
    for name, service in every.items():
        assert service["image"] == image
        if name != "index":
            # Not pulled from a registry (someone else's "quotebot"), and started only
            # once the builder has run, so the image is there.
            assert service["pull_policy"] == "never"
            assert service["depends_on"]["index"]["condition"] == "service_completed_successfully"
