"""Architecture meta-tests: the import rules of DESIGN.md §3, checked on the source.

Every .py of the project's own apps (the local entries of INSTALLED_APPS) and of `ehr/`
is parsed with `ast`, migrations and tests excepted, and every import is collected:
module level and inside functions, `import x.y`, `from x import y` (resolved to the
module `x.y` when `y` is one: `from patients import views` imports `patients.views`),
relative imports, and `importlib.import_module("x.y")` with a literal name. Then:

- the kernel (`ehr.core`) imports no domain app;
- no module imports another app's `views`, `forms` or `api` (an app's own are fine; the
  project's URL collectors `ehr/urls.py` and `ehr/api.py` import apps' `urls`, and
  `ehr/api.py` finds each app's `api` by looping over the installed apps);
- the app-level import graph (app A imports anything of app B) has no cycle;
- no app imports another app's `demo` module (demo data is chained through the kernel's
  seeder registry, `ehr.core.demo`).

`KNOWN_VIOLATIONS` lists what is still wrong on main while the apps move onto the
kernel. It may only shrink: a test fails when an entry no longer occurs, so fixing the
code and deleting the entry go together. The goal is an empty set.
"""

import ast
import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR).resolve()
KERNEL = "ehr.core"
PROJECT = "ehr"  # the project package around the kernel: settings, URL collectors, wsgi
FORBIDDEN_KINDS = ("views", "forms", "api")
SKIPPED_DIRS = {"migrations", "tests", "__pycache__"}

# What main still does wrong, one entry per offending import, as "<rule>: <source module>
# -> <target module>" (module names, not lines, so that editing a file keeps its entry):
#   import  another app's views/forms/api          kernel  the kernel importing an app
#   demo    another app's demo module              local   a function-local import of
#   cycle   "<app> -> <app>": an app-level edge            another app (hides a cycle)
#           left out of the graph; it closes a cycle
# Entries may only be deleted (test_every_known_violation_still_occurs).
KNOWN_VIOLATIONS = frozenset()


# --- Collecting imports -------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """One import found in a source file: the module that imports, the module imported,
    where, and whether it sits inside a function (a deferred import)."""

    source: str
    target: str
    path: str
    line: int
    local: bool = False

    def __str__(self):
        return f"{self.source} -> {self.target} ({self.path}:{self.line})"


def local_app_names():
    """Return the dotted names of the project's own apps (the INSTALLED_APPS entries
    whose code lives in this repository), longest first."""
    names = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if ROOT in path.parents and ".venv" not in path.relative_to(ROOT).parts:
            names.append(config.name)
    return sorted(names, key=len, reverse=True)


def module_name(path, root=ROOT):
    """Return the dotted module name of the file at `path`."""
    parts = list(Path(path).resolve().relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_local_module(name, root=ROOT):
    """Return True if `name` is a module or package of this repository."""
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, source, path, is_package, is_module):
        self.source, self.path = source, str(path)
        self.is_package, self.is_module = is_package, is_module
        self.depth = 0  # functions around the current node
        self.found = []

    def _add(self, node, targets):
        self.found += [
            Import(self.source, target, self.path, node.lineno, self.depth > 0)
            for target in targets
            if target
        ]

    def _function(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node):
        self._add(node, [alias.name for alias in node.names])

    def visit_ImportFrom(self, node):
        base = node.module or ""
        if node.level:
            package = self.source.split(".")
            if not self.is_package:
                package.pop()
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, node.module] if node.module else package)
        targets = []
        for alias in node.names:
            candidate = f"{base}.{alias.name}" if base else alias.name
            targets.append(candidate if alias.name != "*" and self.is_module(candidate) else base)
        self._add(node, targets)

    def visit_Call(self, node):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if (
            name in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            self._add(node, [node.args[0].value])
        self.generic_visit(node)


def imports_in(source_text, *, source, path="<string>", is_package=False, is_module=None):
    """Return every Import in `source_text`, the code of module `source`.

    `is_module(name)` says whether a dotted name is a module, so that `from x import y`
    counts as importing `x.y` when it is one; by default, a module of this repository.
    """
    collector = _ImportCollector(source, path, is_package, is_module or is_local_module)
    collector.visit(ast.parse(source_text, filename=str(path)))
    return collector.found


def source_files():
    """Yield every .py file of the project's apps and of `ehr/`, without migrations and
    tests."""
    roots = {ROOT / PROJECT} | {ROOT.joinpath(*name.split(".")) for name in local_app_names()}
    seen = set()
    for base in sorted(roots):
        for path in sorted(base.rglob("*.py")):
            relative = path.relative_to(ROOT).parts
            if path in seen or SKIPPED_DIRS & set(relative) or relative[-1].startswith("test"):
                continue
            seen.add(path)
            yield path


def all_imports():
    """Return every Import of the project's code."""
    found = []
    for path in source_files():
        found += imports_in(
            path.read_text(encoding="utf-8"),
            source=module_name(path),
            path=path.relative_to(ROOT),
            is_package=path.name == "__init__.py",
        )
    return found


# --- Classifying ----------------------------------------------------------------------------


def app_of(module, app_names):
    """Return the app `module` belongs to (the longest app name it lies in), the project
    package for the rest of `ehr`, or None for third-party code."""
    for app in sorted(app_names, key=len, reverse=True):
        if module == app or module.startswith(app + "."):
            return app
    if module == PROJECT or module.startswith(PROJECT + "."):
        return PROJECT
    return None


def kind_of(module, app):
    """Return the first part of `module` inside `app` ("views" for
    "clinical.views.notes"), or "" for the app package itself."""
    return module[len(app) + 1 :].split(".", 1)[0]


# --- The rules ------------------------------------------------------------------------------


def violations(imports, app_names):
    """Return {"<rule>: source -> target": the first such Import} for the import rules
    ("kernel", "import", "demo", "local"; cycles are `find_cycle`'s)."""
    domain = set(app_names) - {KERNEL}
    found = {}
    for imp in imports:
        source_app, target_app = app_of(imp.source, app_names), app_of(imp.target, app_names)
        if target_app not in domain or source_app == target_app:
            continue
        rules = []
        if source_app == KERNEL:
            rules.append("kernel")
        kind = kind_of(imp.target, target_app)
        if kind in FORBIDDEN_KINDS:
            rules.append("import")
        if kind == "demo":
            rules.append("demo")
        if imp.local:
            rules.append("local")
        for rule in rules:
            found.setdefault(f"{rule}: {imp.source} -> {imp.target}", imp)
    return found


def app_graph(imports, app_names):
    """Return {app: {imported app: its first Import}} between the project's apps (the
    project package `ehr` counts as one)."""
    graph = {}
    for imp in imports:
        source_app, target_app = app_of(imp.source, app_names), app_of(imp.target, app_names)
        if source_app and target_app and source_app != target_app:
            graph.setdefault(source_app, {}).setdefault(target_app, imp)
    return graph


def find_cycle(edges):
    """Return one cycle of the directed graph `edges` ({node: iterable of nodes}) as the
    list of its nodes, first repeated last ([a, b, a]), or None."""
    state = {}  # node -> "open" while on the current path, "done" after

    def visit(node, path):
        state[node] = "open"
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt, path)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node, [])):
            return cycle
    return None


def known_edges(known):
    """Return the app-level edges (a, b) that `known` leaves out of the graph."""
    return {
        tuple(entry.removeprefix("cycle: ").split(" -> "))
        for entry in known
        if entry.startswith("cycle: ")
    }


def edges_of(graph, leave_out=frozenset()):
    """Return the app graph as {app: set of apps}, without the edges in `leave_out`."""
    return {
        app: {target for target in targets if (app, target) not in leave_out}
        for app, targets in graph.items()
    }


def reaches(edges, start, goal):
    """Return True if a path leads from `start` to `goal` in `edges`."""
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo += edges.get(node, ())
    return False


def describe_cycle(cycle, graph):
    """Return the cycle with one import that makes each of its edges."""
    return "\n".join(f"  {a} -> {b}, e.g. {graph[a][b]}" for a, b in itertools.pairwise(cycle))


# --- Tests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_names():
    return local_app_names()


@pytest.fixture(scope="module")
def imports():
    return all_imports()


@pytest.fixture(scope="module")
def found(imports, app_names):
    return violations(imports, app_names)


def _report(entries, found):
    return "\n".join(f"  {entry}  ({found[entry].path}:{found[entry].line})" for entry in entries)


def _new(found, rule):
    return sorted(e for e in found if e.startswith(f"{rule}: ") and e not in KNOWN_VIOLATIONS)


def test_the_walk_finds_the_project_apps_and_their_imports(app_names, imports):
    assert {KERNEL, "accounts", "patients", "scheduling", "clinical"} <= set(app_names)
    assert not any(name.startswith(("django", "allauth", "rest_framework")) for name in app_names)
    sources = {imp.source for imp in imports}
    assert {"ehr.urls", "ehr.api", "ehr.core.views", "patients.access"} <= sources
    assert not any(".migrations." in s or ".tests" in s or s.startswith("tests") for s in sources)
    # `from x import y` resolves to the module x.y when y is one.
    assert any(
        imp.source == "ehr.core.views" and imp.target == "ehr.core.dashboard" for imp in imports
    )


def test_the_kernel_imports_no_domain_app(found):
    new = _new(found, "kernel")
    assert not new, "ehr.core must not import a domain app:\n" + _report(new, found)


def test_no_app_imports_another_apps_views_forms_or_api(found):
    new = _new(found, "import")
    assert not new, (
        "Import another app's services, selectors, models, exceptions or patients.access, "
        "never its views, forms or api:\n" + _report(new, found)
    )


def test_the_api_collector_loops_over_the_apps_and_imports_no_app_api(imports, app_names):
    direct = [
        imp
        for imp in imports
        if imp.source == "ehr.api" and app_of(imp.target, app_names) not in (None, KERNEL, PROJECT)
    ]
    assert not direct, f"ehr/api.py imports apps directly: {[str(i) for i in direct]}"


def test_the_app_import_graph_has_no_cycle(imports, app_names):
    graph = app_graph(imports, app_names)
    cycle = find_cycle(edges_of(graph, known_edges(KNOWN_VIOLATIONS)))
    assert cycle is None, (
        "The apps import each other in a cycle (move the shared piece down, or reach it "
        "through a relation or a registry):\n" + describe_cycle(cycle, graph)
    )


def test_no_app_imports_another_apps_demo_module(found):
    new = _new(found, "demo")
    assert not new, (
        "Demo data is chained through ehr.core.demo (seeder order), not by importing "
        "another app's demo module:\n" + _report(new, found)
    )


def test_no_function_local_import_of_another_app(found):
    new = _new(found, "local")
    assert not new, (
        "A function-local import of another app hides a cycle; import at module level:\n"
        + _report(new, found)
    )


def test_every_known_violation_still_occurs(found, imports, app_names):
    """KNOWN_VIOLATIONS only shrinks: an entry that no longer occurs is deleted."""
    graph = edges_of(app_graph(imports, app_names))
    gone = []
    for entry in sorted(KNOWN_VIOLATIONS):
        if entry.startswith("cycle: "):
            ((a, b),) = known_edges({entry})
            if not (b in graph.get(a, ()) and reaches(graph, b, a)):
                gone.append(entry)
        elif entry not in found:
            gone.append(entry)
    assert not gone, f"These no longer occur; remove them from KNOWN_VIOLATIONS: {gone}"


# --- The checker bites ----------------------------------------------------------------------

FAKE_APPS = [KERNEL, "accounts", "patients", "clinical", "inpatient"]
FAKE_MODULES = {"clinical.views", "clinical.forms", "clinical.api", "patients.demo"}


def _fake_imports(source, text, is_package=False):
    return imports_in(
        text,
        source=source,
        path=f"{source.replace('.', '/')}.py",
        is_package=is_package,
        is_module=lambda name: name in FAKE_MODULES,
    )


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("import clinical.views\n", "import: inpatient.services -> clinical.views"),
        ("from clinical import views\n", "import: inpatient.services -> clinical.views"),
        ("from clinical.views import NoteView\n", "import: inpatient.services -> clinical.views"),
        (
            "from clinical.forms.notes import NoteForm\n",
            "import: inpatient.services -> clinical.forms.notes",
        ),
        (
            "from clinical import api as clinical_api\n",
            "import: inpatient.services -> clinical.api",
        ),
        (
            "def f():\n    from clinical.views import NoteView\n",
            "local: inpatient.services -> clinical.views",
        ),
        (
            "import importlib\nimportlib.import_module('clinical.views')\n",
            "import: inpatient.services -> clinical.views",
        ),
        (
            "from patients.demo import PORTAL_PATIENTS\n",
            "demo: inpatient.services -> patients.demo",
        ),
    ],
)
def test_the_checker_reports_a_forbidden_import(text, entry):
    found = violations(_fake_imports("inpatient.services", text), FAKE_APPS)
    assert entry in found


def test_the_checker_reports_the_kernel_importing_an_app():
    imports = _fake_imports("ehr.core.chart", "from patients.models import Patient\n")
    assert "kernel: ehr.core.chart -> patients.models" in violations(imports, FAKE_APPS)


def test_the_checker_resolves_relative_imports_inside_the_app():
    imports = _fake_imports("clinical.views", "from . import forms\nfrom .api import x\n")
    assert {imp.target for imp in imports} == {"clinical.forms", "clinical.api"}
    assert violations(imports, FAKE_APPS) == {}  # an app's own views, forms and api


def test_the_checker_allows_services_selectors_and_the_kernel():
    text = (
        "from clinical.services import note_sign\n"
        "from patients.access import ChartPageMixin\n"
        "from ehr.core.views import ServiceFormView\n"
        "from accounts.selectors import ensure_active_doctor\n"
    )
    assert violations(_fake_imports("inpatient.views", text), FAKE_APPS) == {}


def test_the_checker_reports_a_cycle_of_apps():
    imports = _fake_imports("inpatient.services", "from clinical.services import x\n")
    imports += _fake_imports("clinical.services", "def f():\n    from inpatient.models import y\n")
    imports += _fake_imports("patients.models", "from accounts.models import User\n")
    graph = app_graph(imports, FAKE_APPS)
    cycle = find_cycle(edges_of(graph))
    assert cycle in (
        ["clinical", "inpatient", "clinical"],
        ["inpatient", "clinical", "inpatient"],
    )
    assert "clinical/services.py:2" in describe_cycle(cycle, graph)
    assert find_cycle(edges_of(graph, {("clinical", "inpatient")})) is None
