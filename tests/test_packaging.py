"""The distributions carry the license: the file itself, and the metadata naming it."""

from __future__ import annotations

import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

from hatchling.builders.sdist import SdistBuilder
from hatchling.builders.wheel import WheelBuilder

ROOT = Path(__file__).resolve().parent.parent


def test_the_license_file_is_mit_for_the_anyactors_developers() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) 2026 The anyactors developers\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_the_wheel_carries_the_license_and_names_it_in_its_metadata(tmp_path: Path) -> None:
    (wheel,) = WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = [name for name in names if name.endswith(".dist-info/METADATA")]
        metadata = HeaderParser().parsestr(archive.read(metadata_name).decode())
        (license_name,) = [name for name in names if name.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(license_name) == (ROOT / "LICENSE").read_bytes()
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]


def test_the_sdist_carries_the_license_and_names_it_in_its_metadata(tmp_path: Path) -> None:
    (sdist,) = SdistBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        (license_name,) = [name for name in names if name.endswith("/LICENSE")]
        (pkg_info_name,) = [
            name for name in names if name.count("/") == 1 and name.endswith("/PKG-INFO")
        ]
        license_file = archive.extractfile(license_name)
        pkg_info = archive.extractfile(pkg_info_name)
        assert license_file is not None
        assert pkg_info is not None
        assert license_file.read() == (ROOT / "LICENSE").read_bytes()
        metadata = HeaderParser().parsestr(pkg_info.read().decode())
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
