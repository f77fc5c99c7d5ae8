"""The apps' own rows of the suite-wide tables: `tests/<app>/<name>.py` for every test
package that has one (security_routes for the API, page_routes for the pages)."""

import importlib
import pkgutil


def app_tables(name: str):
    import tests

    for mod in pkgutil.iter_modules(tests.__path__):
        if mod.ispkg:
            try:
                yield importlib.import_module(f"tests.{mod.name}.{name}")
            except ModuleNotFoundError as e:
                if e.name != f"tests.{mod.name}.{name}":
                    raise
