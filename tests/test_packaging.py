"""The project's layout and the two dependency lists (pyproject.toml, environment.yml) agree."""

import re
import tomllib
from pathlib import Path

import kmeans_lessons

ROOT = Path(__file__).resolve().parents[1]


def requirement_name(requirement):
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def conda_dependencies():
    """{name: requirement} under `dependencies:` in environment.yml, without python and pip."""
    found, in_dependencies = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        stripped = line.split("#")[0].rstrip()
        if re.match(r"^\S", stripped):
            in_dependencies = stripped == "dependencies:"
            continue
        match = re.match(r"^  - (\S+)$", stripped)  # two spaces: conda's list, not pip's
        if in_dependencies and match and match.group(1) not in ("pip", "pip:"):
            found[requirement_name(match.group(1))] = match.group(1).replace(" ", "")
    found.pop("python")
    return found


def test_environment_yml_lists_exactly_the_pyproject_dependencies():
    project = pyproject()["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    wanted = {requirement_name(r): r.replace(" ", "") for r in requirements}
    assert conda_dependencies() == wanted


def test_environment_yml_installs_the_package_itself():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s+- -e \.$", text, re.M)
    assert "name: kmeans-lessons" in text


def test_project_metadata():
    project = pyproject()["project"]
    assert project["name"] == "kmeans-lessons"
    assert project["requires-python"] == ">=3.10"
    assert project["scripts"]["kmeans-lessons"] == "kmeans_lessons.cli:main"
    core = {requirement_name(r) for r in project["dependencies"]}
    assert {"numpy", "pandas", "matplotlib", "ipywidgets", "jupyterlab", "scikit-learn", "tqdm",
            "nbformat", "nbclient"} <= core
    assert {"pytest", "nbval", "hypothesis"} <= {
        requirement_name(r) for r in project["optional-dependencies"]["test"]}


def test_top_level_layout():
    for name in ["notebooks", "kmeans_lessons", "datasets", "tests", "benchmarks",
                 "environment.yml", "README.md", "pyproject.toml", "Makefile", ".ci/run"]:
        assert (ROOT / name).exists(), f"{name} is missing from the top level"


def test_ci_runs_the_readme_test_command_with_the_data_folder():
    ci = (ROOT / ".ci/run").read_text()
    assert "make test" in ci and "KMEANS_LESSONS_DATA" in ci
    assert "make test" in (ROOT / "README.md").read_text()


def test_every_public_name_is_importable():
    for name in kmeans_lessons.__all__:
        assert hasattr(kmeans_lessons, name), name
