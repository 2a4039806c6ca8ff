"""Copies Debian packages and what they need at run time into a folder, for a slim image's last stage.

Debian's scientific Python drags in a compiler toolchain: python3-scipy depends on python3-pythran, which
needs g++ and Boost, to compile extensions that a scoring server never compiles. Installing the packages
the usual way cannot leave a dependency out, so the scoring image's build stage (which has them all)
copies the files of the packages a server needs, and of their dependencies, following Depends and
Pre-Depends, and stops at packages the runtime base already has and at the ones left out on purpose.

    runtime_closure.py --into /slim --have runtime-packages.txt --leave-out python3-pythran python3-sklearn

The folder gets the packages' files (no directories of their own, so a merged-/usr base keeps its /lib
link), their compiled bytecode, the update-alternatives links that point into them (libblas.so.3 and
friends), and one dpkg status file per package in var/lib/dpkg/status.d/, where image scanners read it
and apt does not: apt in the slim image would otherwise insist on the left-out dependencies.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys

FIELDS = ["Package", "Provides", "Depends", "Pre-Depends"]


def query(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def installed_packages():
    """Each installed package's dependency groups ([[alternative, ...], ...]) and what provides each name."""
    fmt = "\t".join("${%s}" % field for field in FIELDS) + "\t${db:Status-Abbrev}\n"
    depends, providers = {}, {}
    for line in query("dpkg-query", "-W", "-f", fmt).splitlines():
        package, provides, deps, pre_deps, status = line.split("\t")
        if not status.startswith("ii"):
            continue
        package = package.split(":")[0]
        depends[package] = [[names(alternative) for alternative in group.split("|")]
                            for group in f"{deps},{pre_deps}".split(",") if group.strip()]
        for provided in provides.split(","):
            if provided.strip():
                providers.setdefault(names(provided), []).append(package)
    return depends, providers


def names(relation):
    """'libc6:any (>= 2.34)' -> 'libc6'."""
    return re.split(r"[\s:(]", relation.strip(), maxsplit=1)[0]


def closure(wanted, depends, providers, have, leave_out):
    """The installed packages that `wanted` needs, minus those the runtime base has and those left out."""
    chosen, queue = set(), list(wanted)
    while queue:
        package = queue.pop()
        if package in chosen or package in have or package in leave_out:
            continue
        if package not in depends:
            sys.exit(f"{package} is not installed in the build stage's base image, so it cannot be copied")
        chosen.add(package)
        for group in depends[package]:
            # The first alternative that is installed here, as dpkg settled it; a virtual name by its provider.
            for name in group:
                candidates = [name] if name in depends else providers.get(name, [])
                installed = [c for c in candidates if c in depends]
                if installed:
                    queue.append(installed[0])
                    break
    return chosen


def copy_file(path, into):
    """Copies a file or symlink to the same place under `into`, its folder resolved as the base resolves it."""
    folder = os.path.realpath(os.path.dirname(path))
    target = os.path.join(into, folder.lstrip("/"), os.path.basename(path))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copy2(path, target, follow_symlinks=False)
    return os.path.join(folder, os.path.basename(path))


def copy_package(package, into):
    copied = set()
    for path in query("dpkg-query", "-L", package).splitlines():
        if os.path.islink(path) or os.path.isfile(path):
            copied.add(copy_file(path, into))
            if path.endswith(".py"):
                stem = os.path.splitext(os.path.basename(path))[0]
                for compiled in glob.glob(os.path.join(os.path.dirname(path), "__pycache__", stem + ".*.pyc")):
                    copied.add(copy_file(compiled, into))
    status = query("dpkg-query", "-s", package)
    status_dir = os.path.join(into, "var/lib/dpkg/status.d")
    os.makedirs(status_dir, exist_ok=True)
    with open(os.path.join(status_dir, package), "w") as f:
        f.write(status)
    return copied


def copy_alternatives(copied, into):
    """The alternatives links (libblas.so.3 -> /etc/alternatives/... -> a real library) into copied files."""
    for line in query("update-alternatives", "--get-selections").splitlines():
        name = line.split()[0]
        info = query("update-alternatives", "--query", name)
        link = re.search(r"^Link: (.+)$", info, re.M).group(1)
        current = re.search(r"^Value: (.+)$", info, re.M)
        choices = [(int(priority), path) for path, priority in
                   re.findall(r"^Alternative: (.+)\nPriority: (\d+)$", info, re.M)]
        usable = [path for _, path in sorted(choices, reverse=True) if os.path.realpath(path) in copied]
        if current and os.path.realpath(current.group(1)) in copied:
            usable.insert(0, current.group(1))
        if not usable:
            continue
        for source, destination in ((link, f"/etc/alternatives/{name}"), (f"/etc/alternatives/{name}", usable[0])):
            target = os.path.join(into, os.path.realpath(os.path.dirname(source)).lstrip("/"), os.path.basename(source))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.lexists(target):
                os.remove(target)
            os.symlink(destination, target)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="+", help="the packages the image needs at run time")
    parser.add_argument("--into", required=True, help="the folder to fill (it mirrors /)")
    parser.add_argument("--have", help="a file listing the runtime base's packages, one per line")
    parser.add_argument("--leave-out", nargs="*", default=[], help="dependencies not to copy")
    args = parser.parse_args()

    have = set()
    if args.have:
        with open(args.have) as f:
            have = {line.strip().split(":")[0] for line in f if line.strip()}
    depends, providers = installed_packages()
    packages = closure(args.packages, depends, providers, have, set(args.leave_out))
    copied = set()
    for package in sorted(packages):
        copied |= copy_package(package, args.into)
    copy_alternatives(copied, args.into)
    print(f"copied {len(packages)} packages ({len(copied)} files) that the runtime base lacks:",
          " ".join(sorted(packages)) or "none")


if __name__ == "__main__":
    main()
